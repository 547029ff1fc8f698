package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.EventContract;
import io.sessionbroker.testkit.ThreadDump;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;

/**
 * Feeds the {@link EventContract} with every {@code sessions.*} event a broker publishes, as an
 * external subscriber sees them: over a bridge connection of its own, read by a plain socket.
 * Settling is a request on that same connection: the bridge writes frames in order, so its reply
 * comes after every event published before the table answered it.
 */
final class ContractRecorder implements AutoCloseable {

  final EventContract contract;
  private final BridgeClient bridge;

  ContractRecorder(String name, int bridgePort, long tickMs)
      throws IOException, InterruptedException {
    this(name, bridgePort, tickMs, "");
  }

  /** A recorder on a bridge that asks for {@code adminToken} on every frame. */
  ContractRecorder(String name, int bridgePort, long tickMs, String adminToken)
      throws IOException, InterruptedException {
    bridge = new BridgeClient("127.0.0.1", bridgePort, adminToken);
    contract = new EventContract(name, tickMs, this::settle);
    bridge.tap(
        frame -> {
          if (frame.getValue("body") instanceof JsonObject body) {
            contract.record(frame.getString("address"), body);
          }
        });
    try {
      bridge.registerAndSync(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED);
    } catch (IOException | RuntimeException e) {
      contract.abandon();
      bridge.close();
      throw e;
    }
  }

  /**
   * Returns once every event published before the call has been recorded (or the broker is gone).
   */
  private void settle() throws InterruptedException {
    try {
      bridge.request(Addresses.ADMIN_COUNT, new JsonObject(), Duration.ofSeconds(10));
    } catch (IOException e) {
      // the broker stopped: the connection delivered everything it ever will
    }
  }

  /** The broker was stopped: waits for the bridge to close, then checks everything it published. */
  void finish() throws Exception {
    try {
      if (!bridge.awaitClosed(Duration.ofSeconds(30))) {
        // seen twice in clean-clone runs, not explained (docs/testing.md): what was the stop doing?
        System.err.println("threads when the bridge stayed open:\n" + ThreadDump.all());
        throw new AssertionError(
            "the bridge stayed open 30 s after its broker stopped (threads on stderr)");
      }
      if (bridge.failure().getCause() instanceof RuntimeException stopped) {
        throw new AssertionError("the recorder stopped reading the bridge early", stopped);
      }
      contract.finish();
    } finally {
      contract.abandon();
    }
  }

  @Override
  public void close() throws IOException {
    contract.abandon();
    bridge.close();
  }
}

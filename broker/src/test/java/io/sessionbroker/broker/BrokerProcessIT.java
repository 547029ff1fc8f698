package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the broker as an operator runs it: a separate process started by {@link Main} on a
 * configuration file, printing its listeners, and on SIGTERM closing every session with SHUTDOWN,
 * announcing it, and exiting 0.
 */
@Timeout(90)
class BrokerProcessIT {

  /** Longer than the broker's own bound on its stop (30 s, {@code Main}) plus its JVM's exit. */
  private static final Duration STOP_BOUND = Duration.ofSeconds(45);

  @Test
  void sigtermClosesEverySessionWithShutdownAnnouncesItAndExitsZero(@TempDir Path dir)
      throws Exception {
    // given a broker process on free ports
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    int tcpPort = BrokerHarness.freePort();
    int bridgePort = BrokerHarness.freePort();
    conf.getJsonObject("tcp").put("port", tcpPort);
    conf.getJsonObject("bridge").put("port", bridgePort);
    conf.getJsonObject("udp")
        .put("port", 0); // not the shipped 7001, which another broker on this machine may share
    conf.getJsonObject("mqtt").put("port", BrokerHarness.freePort());
    conf.getJsonObject("websocket").put("port", BrokerHarness.freePort());
    conf.getJsonObject("http").put("port", BrokerHarness.freePort());
    Path file = dir.resolve("broker.json");
    Files.writeString(file, conf.encodePrettily());
    long started = System.nanoTime();
    Process broker =
        new ProcessBuilder(
                ProcessOutput.javaBinary(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--conf",
                file.toString())
            .redirectErrorStream(true)
            .start();
    try {
      List<String> output = ProcessOutput.readUntil(broker, "ready in");
      long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.println(
          "broker process: JVM start to ready "
              + readyMs
              + " ms; "
              + output.get(output.size() - 1));
      assertThat(output)
          .contains(
              "listening tcp 127.0.0.1:" + tcpPort, "listening bridge 127.0.0.1:" + bridgePort);

      try (ContractRecorder contract =
              new ContractRecorder(
                  "the broker process", bridgePort, conf.getJsonObject("table").getLong("tickMs"));
          BridgeClient bridge = new BridgeClient("127.0.0.1", bridgePort);
          TcpDevice device = new TcpDevice("127.0.0.1", tcpPort)) {
        bridge.registerAndSync(Addresses.CLOSED);
        assertThat(device.hello("sigterm-1", 30).getString("type")).isEqualTo("welcome");

        // when the operator stops it
        contract.contract.shuttingDown();
        broker.destroy(); // SIGTERM

        // then the process exits 0 (the broker bounds its own stop at 30 s) ...
        assertThat(broker.waitFor(STOP_BOUND.toSeconds(), TimeUnit.SECONDS))
            .as("exited after SIGTERM")
            .isTrue();
        assertThat(broker.exitValue()).isZero();
        // ... having announced the SHUTDOWN close and told the device before it went. Both are
        // already here, so
        // nothing below races the clock: a slow stop on a loaded machine is still a correct stop,
        // and a missing
        // event fails at once (the bridge connection has ended) instead of after a timeout.
        JsonObject closed =
            bridge.awaitMessage(
                Addresses.CLOSED, e -> "sigterm-1".equals(e.getString("deviceId")), WAIT);
        assertThat(closed.getString("reason")).isEqualTo("SHUTDOWN");
        assertThat(device.read(WAIT))
            .isEqualTo(new JsonObject().put("type", "bye").put("reason", "SHUTDOWN"));
        // and the event contract holds: one open, one close, nothing left open
        contract.finish();
      }
    } finally {
      broker.destroyForcibly();
    }
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a bridge client that subscribes and then reads nothing cannot make the broker hold
 * its frames without bound (docs/events.md, "What bad input gets"): once {@code
 * bridge.maxBacklogBytes} wait for it beyond the kernel's socket buffers, the connection ends,
 * while clients that read go on.
 */
@Timeout(60)
class EventBridgeSlowClientIT {

  private static final int BACKLOG_BYTES = 1024 * 1024;

  /** 2,500 events of about 4 KB: twice what the kernel (4 MiB send buffer) and the backlog hold. */
  private static final int EVENTS = 2_500;

  /** Events sent before waiting for the reading subscriber to have them. */
  private static final int BATCH = 100;

  private static BrokerHarness harness;
  private static int bridgePort;

  @BeforeAll
  static void startBroker() throws Exception {
    harness =
        BrokerHarness.start(
            conf -> conf.getJsonObject("bridge").put("maxBacklogBytes", BACKLOG_BYTES));
    bridgePort = harness.conf.getJsonObject("bridge").getInteger("port");
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /**
   * Verifies that a subscriber that stops reading is disconnected once its backlog passes the
   * bound, and the reading subscribers (the harness's) get every event.
   */
  @Test
  void aSubscriberThatDoesNotReadIsDisconnectedPastTheBacklogBound() throws Exception {
    try (Socket sleeper = new Socket();
        TcpDevice device = harness.tcpDevice()) {
      // given a client subscribed to devices.inbound that reads nothing more (a small receive
      // buffer, so that the kernel holds little for it)
      sleeper.setReceiveBufferSize(4096);
      sleeper.connect(new InetSocketAddress("127.0.0.1", bridgePort), 5_000);
      sleeper.setSoTimeout(10_000);
      write(sleeper, new JsonObject().put("type", "register").put("address", Addresses.INBOUND));
      write(
          sleeper,
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.ADMIN_COUNT)
              .put("body", new JsonObject())
              .put("replyAddress", "sleeper-ready"));
      assertThat(readFrame(sleeper).getString("address")).isEqualTo("sleeper-ready");

      // when a device sends far more data than that
      device.hello("bridge-slow-1", 30);
      String pad = "x".repeat(4_000);
      for (int i = 0; i < EVENTS; i++) {
        device.send(
            new JsonObject()
                .put("type", "data")
                .put("payload", new JsonObject().put("n", i).put("pad", pad)));
        if (i % BATCH == BATCH - 1 || i == EVENTS - 1) {
          // the reading subscriber keeps up: it is never more than a batch (0.4 MB) behind, well
          // under the bound, however slowly its thread runs on a busy machine
          int n = i;
          Predicate<JsonObject> batchEnd =
              e ->
                  "bridge-slow-1".equals(e.getString("deviceId"))
                      && e.getJsonObject("payload").getInteger("n") == n;
          harness.bridge.awaitMessage(Addresses.INBOUND, batchEnd, BrokerHarness.WAIT);
        }
      }

      // then the reading subscriber got them all (above), and the sleeper's connection has ended:
      // what the kernel holds for it, then the end of the stream
      long read = drainUntilClosed(sleeper);
      System.out.printf(
          "bridge: a client that stopped reading was dropped after %d of about %d bytes%n",
          read, EVENTS * 4_100L);
      assertThat(read).isLessThan(EVENTS * 4_000L);
    }
  }

  private static void write(Socket socket, JsonObject frame) throws IOException {
    byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
    OutputStream out = socket.getOutputStream();
    out.write(ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array());
    out.flush();
  }

  private static JsonObject readFrame(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    return new JsonObject(new String(payload, StandardCharsets.UTF_8));
  }

  /** Reads until the end of the stream (or a reset); fails if the bridge keeps it open. */
  private static long drainUntilClosed(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[65_536];
    long total = 0;
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        total += n;
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the bridge kept the connection of a client that does not read open ("
              + total
              + " bytes)");
    } catch (SocketException e) {
      // a reset ends the connection too
    }
    return total;
  }
}

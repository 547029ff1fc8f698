package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.PROTOCOL_ERROR;
import static io.sessionbroker.cluster.CloseReason.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies each WebSocket close code on the device side (the JDK's own client) together with the
 * matching {@code sessions.closed} or {@code sessions.rejected} event as a subscriber of the TCP
 * bridge sees it.
 */
@Timeout(90)
class WebSocketBridgeIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("websocket")
                    .put("maxFrameBytes", 1024)
                    .put("handshakeTimeoutMs", 1000));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void byeIs1000AndClientClosed() throws Exception {
    try (WsPeer ws = peer("ws-bye")) {
      ws.send(new JsonObject().put("type", "bye"));
      assertClosed(ws, 1000, "ws-bye", "CLIENT_CLOSED");
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void closeFrameFromTheDeviceIsClientClosed() throws Exception {
    try (WsPeer ws = peer("ws-close")) {
      ws.sendClose();
      assertClosed(ws, 1000, "ws-close", "CLIENT_CLOSED");
    }
  }

  @Test
  @ExpectCloses(TIMEOUT)
  void unansweredPingsAre4000AndTimeout() throws Exception {
    try (WsPeer ws = new WsPeer(port())) {
      ws.send(
          new JsonObject().put("type", "hello").put("device", "ws-silent").put("heartbeat", 0.3));
      assertThat(ws.next().getString("type")).isEqualTo("welcome");

      ws.stopReading();

      JsonObject closed = harness.await(Addresses.CLOSED, "ws-silent");
      assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
      ws.resumeReading();
      assertThat(ws.next()).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
      assertThat(ws.closeCode()).isEqualTo(4000);
    }
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void unknownFrameIs4003AndProtocolError() throws Exception {
    try (WsPeer ws = peer("ws-unknown")) {
      ws.send(new JsonObject().put("type", "launch"));
      assertThat(ws.next().getString("code")).isEqualTo("protocol_error");
      assertClosed(ws, 4003, "ws-unknown", "PROTOCOL_ERROR");
    }
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void oversizedMessageIs1009AndProtocolError() throws Exception {
    try (WsPeer ws = peer("ws-big")) {
      ws.send(new JsonObject().put("type", "data").put("payload", "x".repeat(2000)));
      assertClosed(ws, 1009, "ws-big", "PROTOCOL_ERROR");
    }
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void binaryFrameIs1003AndProtocolError() throws Exception {
    try (WsPeer ws = peer("ws-binary")) {
      ws.sendBinary(new byte[] {1, 2, 3});
      assertClosed(ws, 1003, "ws-binary", "PROTOCOL_ERROR");
    }
  }

  @Test
  void noHelloIs1008AndRejected() throws Exception {
    try (WsPeer ws = new WsPeer(port())) {
      assertThat(ws.next().getString("code")).isEqualTo("handshake_timeout");
      assertThat(ws.closeCode()).isEqualTo(1008);
      JsonObject rejected =
          harness.bridge.awaitMessage(
              Addresses.REJECTED,
              e ->
                  "websocket".equals(e.getString("transport"))
                      && "handshake_timeout".equals(e.getString("code")),
              WAIT);
      assertThat(rejected.getString("remote")).startsWith("127.0.0.1:");
    }
  }

  private static WsPeer peer(String device) throws Exception {
    WsPeer ws = new WsPeer(port());
    assertThat(ws.hello(device, 30).getString("type")).isEqualTo("welcome");
    harness.await(Addresses.OPENED, device);
    return ws;
  }

  private static void assertClosed(WsPeer ws, int code, String device, String reason)
      throws Exception {
    assertThat(ws.closeCode()).isEqualTo(code);
    JsonObject closed = harness.await(Addresses.CLOSED, device);
    assertThat(closed.getString("reason")).isEqualTo(reason);
    assertThat(closed.getString("transport")).isEqualTo("websocket");
  }

  private static int port() {
    return harness.broker.port(TransportName.WEBSOCKET);
  }
}

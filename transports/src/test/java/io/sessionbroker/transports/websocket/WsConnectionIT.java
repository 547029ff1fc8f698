package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A WebSocket connection's liveness and close paths with the broker's protocol pings switched off,
 * so that only what the device sends proves it alive: application frames move the session's {@code
 * lastSeenAt}, and each way a session ends has its own close code, reason and event. Device: the
 * JDK WebSocket client ({@link WsDevice}).
 */
@Timeout(30)
class WsConnectionIT {

  private static final double HEARTBEAT_S = 1;

  /**
   * How long a test device waits before its next frame, so that the broker's clock has moved on.
   */
  private final java.util.List<WsDevice> devices = new java.util.ArrayList<>();

  private TableFixture tables;
  private WebSocketTransport ws;

  @BeforeEach
  void start() throws Exception {
    tables = new TableFixture();
    WsOptions options =
        WsOptions.fromJson(
            new JsonObject().put("port", 0).put("pingIntervalMs", WsOptions.PING_NEVER));
    ws = new WebSocketTransport(tables.table, options, DeviceAuth.NONE);
    tables.vertx.deployVerticle(ws).await(10, TimeUnit.SECONDS);
  }

  /**
   * Closes the devices only after the table has shut down: a device closed in a test's body would
   * end its session there, with a reason the test did not ask about.
   */
  @AfterEach
  void stop() throws Exception {
    try {
      tables.close();
    } finally {
      devices.forEach(WsDevice::close);
    }
  }

  /** Keeps {@code device} to close after the table. */
  private WsDevice kept(WsDevice device) {
    devices.add(device);
    return device;
  }

  private long lastSeenAt(String deviceId) throws Exception {
    return tables.table.admin().get(deviceId).await(5, TimeUnit.SECONDS).getLong("lastSeenAt");
  }

  /**
   * Verifies that a data frame alone, with no ping of either kind, is proof of life (it moves the
   * session's lastSeenAt) and is published with its topic.
   */
  @Test
  void aDataFrameAloneMovesLastSeenAtAndIsPublishedWithItsTopic() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-data", HEARTBEAT_S));
    long before = lastSeenAt("ws-pit-data");
    tables.clockPast(before); // the device's next proof of life comes later

    // when
    device.send(new JsonObject().put("type", "data").put("topic", "up").put("payload", 7));

    // then: the table is touched before the inbound event is published
    JsonObject inbound = tables.await(Addresses.INBOUND, "ws-pit-data");
    assertThat(inbound.getString("topic")).isEqualTo("up");
    assertThat(inbound.getValue("payload")).isEqualTo(7);
    assertThat(lastSeenAt("ws-pit-data")).isGreaterThan(before);
  }

  /** Verifies that an application ping is proof of life, answered with a pong. */
  @Test
  void anApplicationPingMovesLastSeenAtAndIsAnsweredWithAPong() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-ping", HEARTBEAT_S));
    long before = lastSeenAt("ws-pit-ping");
    tables.clockPast(before); // the device's next proof of life comes later

    // when
    device.send(new JsonObject().put("type", "ping"));

    // then: the table is touched before the pong is written
    assertThat(device.next().getString("type")).isEqualTo("pong");
    assertThat(lastSeenAt("ws-pit-ping")).isGreaterThan(before);
  }

  /** Verifies that silence ends the session with TIMEOUT: a bye saying so, then close code 4000. */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsWithTimeoutAByeAndCloseCode4000() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-silent", HEARTBEAT_S));

    // when: nothing more is sent

    // then
    assertThat(device.next())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
    assertThat(device.closed().code()).isEqualTo(CloseCodes.TIMEOUT);
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-silent").getString("reason"))
        .isEqualTo("TIMEOUT");
  }

  /** Verifies that a kick sends a bye with reason KICKED and close code 4002. */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickSendsAByeAndCloseCode4002() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-kick", HEARTBEAT_S));

    // when
    assertThat(tables.table.admin().kick("ws-pit-kick").await(5, TimeUnit.SECONDS)).isTrue();

    // then
    assertThat(device.next())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
    assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.KICKED, "KICKED"));
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-kick").getString("reason"))
        .isEqualTo("KICKED");
  }

  /**
   * Verifies that a bye frame ends the session as CLIENT_CLOSED, answered with close code 1000 and
   * no bye.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aByeFrameEndsAsClientClosedWithCloseCode1000() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-bye", HEARTBEAT_S));

    // when
    device.send(new JsonObject().put("type", "bye"));

    // then
    assertThat(device.closed().code()).isEqualTo(CloseCodes.NORMAL);
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-bye").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  /** Verifies that a close frame from the device ends the session as CLIENT_CLOSED. */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aCloseFrameEndsAsClientClosed() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-closeframe", HEARTBEAT_S));

    // when
    device.sendClose(1000);

    // then
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-closeframe").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  /**
   * Verifies that a connection dropped without a close frame ends the session as CONNECTION_LOST.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aDroppedConnectionEndsAsConnectionLost() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-drop", HEARTBEAT_S));

    // when
    device.abort();

    // then
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-drop").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
  }

  /**
   * Verifies that a frame that is not JSON after the welcome ends the session as PROTOCOL_ERROR
   * with 4003.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aBadFrameAfterTheWelcomeEndsAsProtocolErrorWithCloseCode4003() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-garbage", HEARTBEAT_S));

    // when
    device.send("not json");

    // then
    assertThat(device.next().getString("code")).isEqualTo("bad_frame");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-garbage").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a binary frame after the welcome ends the session as PROTOCOL_ERROR with close
   * code 1003.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aBinaryFrameEndsAsProtocolErrorWithCloseCode1003() throws Exception {
    // given
    WsDevice device = kept(WsDevice.hello(ws.port(), "ws-pit-binary", HEARTBEAT_S));

    // when
    device.sendBinary(new byte[] {1, 2, 3});

    // then
    assertThat(device.closed().code()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-binary").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a hello the table cannot open (a fenced node) is refused with close code 1011.
   */
  @Test
  void aHelloTheTableCannotOpenIsRefusedWithCloseCode1011() throws Exception {
    // given
    tables.table.fence().raise();
    WsDevice device = kept(WsDevice.connect(ws.port(), "/devices"));

    // when
    device.send(
        new JsonObject().put("type", "hello").put("device", "ws-pit-fenced").put("heartbeat", 1));

    // then
    assertThat(device.next().getString("code")).isEqualTo("unavailable");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.INTERNAL_ERROR);
    assertThat(
            tables
                .await(Addresses.REJECTED, e -> "websocket".equals(e.getString("transport")))
                .getString("code"))
        .isEqualTo("unavailable");
  }
}

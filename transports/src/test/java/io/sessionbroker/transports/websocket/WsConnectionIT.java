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
 * A WebSocket connection's liveness and close paths with the broker's protocol pings switched off, so that
 * only what the device sends proves it alive: application frames touch the session, and each way a session
 * ends has its own close code, reason and event. Device: the JDK WebSocket client ({@link WsDevice}).
 */
@Timeout(30)
class WsConnectionIT {

  private static final double HEARTBEAT_S = 1;
  private static final long PACE_MS = 200;
  /** Frames over two 1.5 s timeouts: without their touches the session would have expired. */
  private static final int FRAMES_OVER_TWO_TIMEOUTS = 15;

  private TableFixture tables;
  private WebSocketTransport ws;

  @BeforeEach
  void start() throws Exception {
    tables = new TableFixture();
    WsOptions options = WsOptions.fromJson(new JsonObject().put("port", 0).put("pingIntervalMs", WsOptions.PING_NEVER));
    ws = new WebSocketTransport(tables.table, options, DeviceAuth.NONE);
    tables.vertx.deployVerticle(ws).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    tables.close();
  }

  /** Verifies that data frames alone, without pings of either kind, keep a session open and are published. */
  @Test
  void dataFramesAloneKeepTheSessionOpenAndArePublishedWithTheirTopic() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-data", HEARTBEAT_S)) {

      // when
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        device.send(new JsonObject().put("type", "data").put("topic", "up").put("payload", i));
        Thread.sleep(PACE_MS); // the device's own pace
      }

      // then: an application ping as a barrier, answered after every data frame before it
      device.send(new JsonObject().put("type", "ping"));
      assertThat(device.next().getString("type")).isEqualTo("pong");
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        JsonObject inbound = tables.await(Addresses.INBOUND, "ws-pit-data");
        assertThat(inbound.getString("topic")).isEqualTo("up");
        assertThat(inbound.getValue("payload")).isEqualTo(i);
      }
      tables.settle();
      assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
    }
  }

  /** Verifies that silence ends the session with TIMEOUT: a bye saying so, then close code 4000. */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsWithTimeoutAByeAndCloseCode4000() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-silent", HEARTBEAT_S)) {

      // when: nothing more is sent

      // then
      assertThat(device.next()).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
      assertThat(device.closed().code()).isEqualTo(CloseCodes.TIMEOUT);
      assertThat(tables.await(Addresses.CLOSED, "ws-pit-silent").getString("reason")).isEqualTo("TIMEOUT");
    }
  }

  /** Verifies that a kick sends a bye with reason KICKED and close code 4002. */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickSendsAByeAndCloseCode4002() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-kick", HEARTBEAT_S)) {

      // when
      assertThat(tables.table.kick("ws-pit-kick").await(5, TimeUnit.SECONDS)).isTrue();

      // then
      assertThat(device.next()).isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
      assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.KICKED, "KICKED"));
      assertThat(tables.await(Addresses.CLOSED, "ws-pit-kick").getString("reason")).isEqualTo("KICKED");
    }
  }

  /** Verifies that a bye frame ends the session as CLIENT_CLOSED, answered with close code 1000 and no bye. */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aByeFrameEndsAsClientClosedWithCloseCode1000() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-bye", HEARTBEAT_S)) {

      // when
      device.send(new JsonObject().put("type", "bye"));

      // then
      assertThat(device.closed().code()).isEqualTo(CloseCodes.NORMAL);
      assertThat(tables.await(Addresses.CLOSED, "ws-pit-bye").getString("reason")).isEqualTo("CLIENT_CLOSED");
    }
  }

  /** Verifies that a close frame from the device ends the session as CLIENT_CLOSED. */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aCloseFrameEndsAsClientClosed() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-closeframe", HEARTBEAT_S)) {

      // when
      device.sendClose(1000);

      // then
      assertThat(tables.await(Addresses.CLOSED, "ws-pit-closeframe").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }

  /** Verifies that a connection dropped without a close frame ends the session as CONNECTION_LOST. */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aDroppedConnectionEndsAsConnectionLost() throws Exception {
    // given
    WsDevice device = WsDevice.hello(ws.port(), "ws-pit-drop", HEARTBEAT_S);

    // when
    device.abort();

    // then
    assertThat(tables.await(Addresses.CLOSED, "ws-pit-drop").getString("reason")).isEqualTo("CONNECTION_LOST");
  }

  /** Verifies that a frame that is not JSON after the welcome ends the session as PROTOCOL_ERROR with 4003. */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aBadFrameAfterTheWelcomeEndsAsProtocolErrorWithCloseCode4003() throws Exception {
    // given
    try (WsDevice device = WsDevice.hello(ws.port(), "ws-pit-garbage", HEARTBEAT_S)) {

      // when
      device.send("not json");

      // then
      assertThat(device.next().getString("code")).isEqualTo("bad_frame");
      assertThat(device.closed().code()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
      assertThat(tables.await(Addresses.CLOSED, "ws-pit-garbage").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }
}

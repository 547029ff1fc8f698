package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.fuzz.LogWatch;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that what a WebSocket receives before its session can take it is read in the order it
 * came ({@link FrameGate}): frames sent in the same write as the upgrade request, without waiting
 * for the 101 (RFC 6455 §4.1 asks a device to wait; some do not), pass the same checks as any, and
 * are released when the device is gone first; frames sent right behind the hello are read before a
 * later frame the protocol refuses, or the device's close frame, ends the connection. The
 * transports module's tests run with Netty's paranoid leak detection, which tracks every buffer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketFrameGateIT {

  private TableFixture fixture;
  private WebSocketTransport transport;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    transport =
        new WebSocketTransport(fixture.table, WsOptions.defaults().withPort(0), DeviceAuth.NONE);
    fixture.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  @Test
  void framesSentWithTheUpgradeRequestAreReadInOrder() throws Exception {
    // when: the hello, a data frame and a ping ride in the upgrade request's write
    try (RawWs ws =
        RawWs.upgradeWith(
            transport.port(),
            RawWs.concat(
                RawWs.text(hello("early-1")),
                RawWs.text("{\"type\":\"data\",\"topic\":\"t\",\"payload\":1}"),
                RawWs.text("{\"type\":\"ping\"}")))) {

      // then: the welcome, then the pong; the data reached the back end
      assertThat(type(ws.next())).isEqualTo("welcome");
      assertThat(type(ws.next())).isEqualTo("pong");
      assertThat(fixture.await(Addresses.INBOUND, "early-1").getValue("payload")).isEqualTo(1);
    }
  }

  @Test
  void anEarlyFrameThatIsNotUtf8FailsTheConnectionWith1007() throws Exception {
    // when: a text frame whose bytes are not UTF-8 rides in the upgrade request's write
    try (RawWs ws =
        RawWs.upgradeWith(
            transport.port(),
            RawWs.frame(0x80 | RawWs.TEXT, true, new byte[] {'{', (byte) 0xC0}))) {

      // then: it meets the same check as a frame sent after the 101
      assertThat(ws.closeFrameAloneAndEnd()).isEqualTo(CloseCodes.INVALID_PAYLOAD);
    }
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void framesBehindTheHelloAreReadBeforeALaterFramingErrorEndsTheSession() throws Exception {
    try (RawWs ws = RawWs.connect(transport.port())) {
      // when: the hello, a data frame and an unmasked frame (RFC 6455 §5.1: 1002) in one write
      ws.writeRaw(
          RawWs.concat(
              RawWs.text(hello("gate-1")),
              RawWs.text("{\"type\":\"data\",\"payload\":2}"),
              RawWs.frame(0x80 | RawWs.TEXT, false, "{}".getBytes(StandardCharsets.UTF_8))));

      // then: the session opens, the data is read, and then the framing error ends the session
      assertThat(type(ws.next())).isEqualTo("welcome");
      assertThat(ws.closeFrameAloneAndEnd()).isEqualTo(CloseCodes.WS_PROTOCOL_ERROR);
      assertThat(fixture.await(Addresses.INBOUND, "gate-1").getValue("payload")).isEqualTo(2);
      assertThat(fixture.await(Addresses.CLOSED, "gate-1").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aByeBehindTheHelloEndsTheSessionBeforeTheDevicesCloseFrame() throws Exception {
    try (RawWs ws = RawWs.connect(transport.port())) {
      // when: the hello, a bye and a close frame (1000) in one write
      ws.writeRaw(
          RawWs.concat(
              RawWs.text(hello("gate-2")),
              RawWs.text("{\"type\":\"bye\"}"),
              RawWs.frame(0x80 | RawWs.CLOSE, true, new byte[] {0x03, (byte) 0xE8})));

      // then: the session opened and ended as the bye asked, not as a connection without one
      assertThat(type(ws.next())).isEqualTo("welcome");
      assertThat(ws.next().closeCode()).isEqualTo(CloseCodes.NORMAL);
      assertThat(fixture.await(Addresses.CLOSED, "gate-2").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void earlyFramesOfADeviceGoneBeforeItsWelcomeAreReleased() throws Exception {
    try (LogWatch log = LogWatch.start()) {
      // when: 200 devices send the upgrade, the hello and two frames in one write and reset at once
      for (int i = 0; i < 200; i++) {
        RawWs.sendAndReset(
            transport.port(),
            RawWs.concat(
                RawWs.text(hello("early-gone-" + i)),
                RawWs.text("{\"type\":\"data\",\"payload\":\"x\"}"),
                RawWs.text("{\"type\":\"data\",\"payload\":\"y\"}")));
      }
      Awaitility.await("every session the resets left ended")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  fixture.table.admin().count().await(10, TimeUnit.SECONDS).getInteger("total")
                      == 0);

      // then: no frame's buffer was collected unreleased
      LogWatch.provokeLeakReports();
      assertThat(log.leakReports()).isEmpty();
    }
  }

  private static String hello(String deviceId) {
    return new JsonObject()
        .put("type", "hello")
        .put("device", deviceId)
        .put("heartbeat", 30)
        .encode();
  }

  private static String type(RawWs.Frame frame) {
    return new JsonObject(frame.text()).getString("type");
  }
}

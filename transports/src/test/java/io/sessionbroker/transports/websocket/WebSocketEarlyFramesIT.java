package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.fuzz.LogWatch;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that frames a device sends in the same write as its upgrade request, without waiting for
 * the 101 (RFC 6455 §4.1 asks it to wait; some devices do not), are read in order as if sent after
 * it, pass the same checks, and are released when the device is gone before its WebSocket opens
 * ({@link EarlyFrames}). The transports module's tests run with Netty's paranoid leak detection,
 * which tracks every buffer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketEarlyFramesIT {

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
  void earlyFramesOfADeviceGoneBeforeItsWelcomeAreReleased() throws Exception {
    try (LogWatch log = LogWatch.start()) {
      // when: 200 devices send the upgrade, the hello and two frames in one write and reset at once
      byte[] early =
          RawWs.concat(
              RawWs.text(hello("early-gone")),
              RawWs.text("{\"type\":\"data\",\"payload\":\"x\"}"),
              RawWs.text("{\"type\":\"data\",\"payload\":\"y\"}"));
      for (int i = 0; i < 200; i++) {
        RawWs.sendAndReset(transport.port(), early);
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

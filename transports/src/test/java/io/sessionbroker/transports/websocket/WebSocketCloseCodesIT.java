package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that every way the broker ends a WebSocket session reaches the device as the documented
 * close code (after a {@code bye} or {@code error} frame), and the back end as the matching {@code
 * sessions.closed} reason.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketCloseCodesIT {

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
  @ExpectCloses(CloseReason.TIMEOUT)
  void unansweredPingsEndTheSessionWithTimeoutAndCode4000() throws Exception {
    // given: heartbeat 0.2 s, timeout 0.3 s; the device stops reading, so the broker's pings go
    // unanswered
    WsDevice device = WsDevice.hello(transport.port(), "ws-silent", 0.2);
    device.stopReading();

    // when
    JsonObject closed = fixture.await(Addresses.CLOSED, "ws-silent");

    // then
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getString("transport")).isEqualTo("websocket");
    // evicted by the table's wheel: never before the 300 ms timeout (the event contract bounds the
    // lateness)
    assertThat(closed.getLong("timeoutMs")).isEqualTo(300L);
    assertThat(closed.getLong("at") - closed.getLong("lastSeenAt")).isGreaterThanOrEqualTo(300L);
    device.resumeReading();
    assertThat(nextNonPong(device))
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
    assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.TIMEOUT, "TIMEOUT"));
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void newerTcpSessionTakesOverTheWebSocketWithCode4001() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-moves", 30);

    // when: the same device connects over TCP (simulated at the table, as the TCP transport would)
    fixture.table.open(
        new OpenRequest("ws-moves", "tcp", "127.0.0.1:1", 30_000, null, (s, r) -> {}));

    // then
    assertThat(device.next())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
    assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.TAKEN_OVER, "TAKEN_OVER"));
    JsonObject closed = fixture.await(Addresses.CLOSED, "ws-moves");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(closed.getString("transport")).isEqualTo("websocket");
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void newerWebSocketSessionTakesOverATcpSession() throws Exception {
    // given: a TCP session, simulated at the table
    CompletableFuture<CloseReason> tcpClosed = new CompletableFuture<>();
    fixture
        .table
        .open(
            new OpenRequest(
                "ws-returns",
                "tcp",
                "127.0.0.1:1",
                30_000,
                null,
                (s, reason) -> tcpClosed.complete(reason)))
        .await(5, TimeUnit.SECONDS);

    // when
    WsDevice.hello(transport.port(), "ws-returns", 30);

    // then
    assertThat(tcpClosed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.TAKEN_OVER);
    JsonObject closed = fixture.await(Addresses.CLOSED, "ws-returns");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(closed.getString("transport")).isEqualTo("tcp");
    assertThat(
            fixture
                .table
                .admin()
                .get("ws-returns")
                .await(5, TimeUnit.SECONDS)
                .getString("transport"))
        .isEqualTo("websocket");
  }

  @Test
  @ExpectCloses(CloseReason.KICKED)
  void kickedSessionIsClosedWithCode4002() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-kicked", 30);

    // when
    assertThat(fixture.table.admin().kick("ws-kicked").await(5, TimeUnit.SECONDS)).isTrue();

    // then
    assertThat(device.next())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
    assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.KICKED, "KICKED"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-kicked").getString("reason"))
        .isEqualTo("KICKED");
  }

  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void shutdownClosesWithCode1001() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-shutdown", 30);

    // when
    fixture.table.shutdown().await(5, TimeUnit.SECONDS);

    // then
    assertThat(device.next())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "SHUTDOWN"));
    assertThat(device.closed()).isEqualTo(new WsDevice.Closed(CloseCodes.GOING_AWAY, "SHUTDOWN"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-shutdown").getString("reason"))
        .isEqualTo("SHUTDOWN");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void malformedFrameAfterTheWelcomeIsAProtocolErrorWithCode4003() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-garbage", 30);

    // when
    device.send("this is not JSON");

    // then
    assertThat(device.next().getString("code")).isEqualTo("bad_frame");
    assertThat(device.closed())
        .isEqualTo(new WsDevice.Closed(CloseCodes.PROTOCOL_ERROR, "bad_frame"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-garbage").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void secondHelloIsAProtocolErrorWithCode4003() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-twice", 30);

    // when
    device.send(new JsonObject().put("type", "hello").put("device", "ws-twice"));

    // then
    assertThat(device.next().getString("code")).isEqualTo("protocol_error");
    assertThat(device.closed())
        .isEqualTo(new WsDevice.Closed(CloseCodes.PROTOCOL_ERROR, "protocol_error"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-twice").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void frameOverTheMaximumIsClosedWithCode1009() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-big", 30);
    String big =
        "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(WsOptions.DEFAULT_MAX_FRAME_BYTES) + "\"}";

    // when
    device.send(big);

    // then
    assertThat(device.closed().code()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    assertThat(fixture.await(Addresses.CLOSED, "ws-big").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void singleFrameOverTheMaximumIsClosedWithCode1009() throws Exception {
    // given: a 1 KiB bound, so the JDK client sends the 2 KiB message as one frame
    WsOptions small =
        new WsOptions("127.0.0.1", 0, "/devices", 5_000, 1_024, 8_192, WsOptions.PING_DERIVED);
    WebSocketTransport strict = new WebSocketTransport(fixture.table, small, DeviceAuth.NONE);
    fixture.vertx.deployVerticle(strict).await(10, TimeUnit.SECONDS);
    WsDevice device = WsDevice.hello(strict.port(), "ws-big-frame", 30);

    // when
    device.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(2_048) + "\"}");

    // then
    assertThat(device.closed().code()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    assertThat(fixture.await(Addresses.CLOSED, "ws-big-frame").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void binaryFrameIsClosedWithCode1003() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-binary", 30);

    // when
    device.sendBinary(new byte[] {1, 2, 3});

    // then
    assertThat(device.next().getString("code")).isEqualTo("bad_frame");
    assertThat(device.closed())
        .isEqualTo(new WsDevice.Closed(CloseCodes.UNSUPPORTED_DATA, "bad_frame"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-binary").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  void helloOnAFencedNodeIsRefusedWithAnUnavailableErrorAndCode1011() throws Exception {
    // given a node cut off from its cluster's quorum (docs/cluster.md: it refuses new sessions)
    fixture.table.fence().raise();
    WsDevice device = WsDevice.connect(transport.port(), "/devices");

    // when a device says hello
    device.send(
        new JsonObject().put("type", "hello").put("device", "ws-fenced").put("heartbeat", 30));

    // then it gets an unavailable error and close code 1011, and the back end a rejection, not a
    // session
    JsonObject error = device.next();
    assertThat(error.getString("type")).isEqualTo("error");
    assertThat(error.getString("code")).isEqualTo("unavailable");
    assertThat(device.closed())
        .isEqualTo(new WsDevice.Closed(CloseCodes.INTERNAL_ERROR, "unavailable"));
    JsonObject rejected =
        fixture.await(Addresses.REJECTED, e -> "unavailable".equals(e.getString("code")));
    assertThat(rejected.getString("deviceId")).isEqualTo("ws-fenced");
    assertThat(rejected.getString("transport")).isEqualTo("websocket");
    fixture.settle();
    assertThat(fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
    // and once the node is unfenced, the same device is welcomed
    fixture.table.fence().lower();
    WsDevice.hello(transport.port(), "ws-fenced", 30);
    assertThat(fixture.await(Addresses.OPENED, "ws-fenced").getString("transport"))
        .isEqualTo("websocket");
  }

  private static JsonObject nextNonPong(WsDevice device) throws InterruptedException {
    JsonObject frame = device.next();
    while ("pong".equals(frame.getString("type"))) {
      frame = device.next();
    }
    return frame;
  }
}

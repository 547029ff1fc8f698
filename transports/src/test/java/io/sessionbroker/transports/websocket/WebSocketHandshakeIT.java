package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the upgrade is bounded (deadline, header size, path) and that a connection that
 * never becomes a session is rejected with an {@code error} frame, close code 1008 and a {@code
 * sessions.rejected} event.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketHandshakeIT {

  private static final int HANDSHAKE_TIMEOUT_MS = 300;
  private static final String SECRET = "0123456789abcdef-secret";

  private TableFixture fixture;
  private WebSocketTransport transport;

  /** A transport with a short handshake deadline, for the tests that wait for it. */
  private WebSocketTransport impatient;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    transport = deploy(WsOptions.defaults().withPort(0));
    impatient =
        deploy(new WsOptions("127.0.0.1", 0, "/devices", HANDSHAKE_TIMEOUT_MS, 16_384, 8_192, 0));
  }

  private WebSocketTransport deploy(WsOptions options) throws Exception {
    WebSocketTransport deployed =
        new WebSocketTransport(fixture.table, options, DeviceAuth.withSecret(SECRET));
    fixture.vertx.deployVerticle(deployed).await(10, TimeUnit.SECONDS);
    return deployed;
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  @Test
  void wrongTokenInTheHelloIsRejectedWithCode1008() throws Exception {
    // given
    WsDevice device = WsDevice.connect(transport.port(), "/devices");

    // when
    device.send(
        new JsonObject().put("type", "hello").put("device", "ws-intruder").put("token", "forged"));

    // then
    assertThat(device.next().getString("code")).isEqualTo("auth_failed");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.POLICY_VIOLATION);
    JsonObject rejected = fixture.await(Addresses.REJECTED, "ws-intruder");
    assertThat(rejected.getString("code")).isEqualTo("auth_failed");
    assertThat(rejected.getString("transport")).isEqualTo("websocket");
  }

  @Test
  void wrongBearerTokenInTheUpgradeIsRejectedWithCode1008() throws Exception {
    // when
    WsDevice device =
        WsDevice.connect(
            transport.port(),
            "/devices?device=ws-bad-bearer",
            Map.of("Authorization", "Bearer forged"));

    // then
    assertThat(device.next().getString("code")).isEqualTo("auth_failed");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.POLICY_VIOLATION);
    assertThat(fixture.await(Addresses.REJECTED, "ws-bad-bearer").getString("code"))
        .isEqualTo("auth_failed");
  }

  @Test
  void noHelloWithinTheDeadlineIsRejectedAsHandshakeTimeoutWithCode1008() throws Exception {
    // given
    WsDevice device = WsDevice.connect(impatient.port(), "/devices");

    // when: the device says nothing

    // then
    assertThat(device.next().getString("code")).isEqualTo("handshake_timeout");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.POLICY_VIOLATION);
    assertThat(
            fixture.await(Addresses.REJECTED, e -> "handshake_timeout".equals(e.getString("code"))))
        .isNotNull();
  }

  @Test
  void firstFrameOtherThanHelloIsRejectedWithCode1008() throws Exception {
    // given
    WsDevice device = WsDevice.connect(transport.port(), "/devices");

    // when
    device.send(new JsonObject().put("type", "ping"));

    // then
    assertThat(device.next().getString("code")).isEqualTo("protocol_error");
    assertThat(device.closed().code()).isEqualTo(CloseCodes.POLICY_VIOLATION);
    assertThat(fixture.await(Addresses.REJECTED, e -> "protocol_error".equals(e.getString("code"))))
        .isNotNull();
  }

  @Test
  void malformedHeartbeatInTheUpgradeIsRejectedAsBadHello() throws Exception {
    // when
    WsDevice device =
        WsDevice.connect(transport.port(), "/devices?device=ws-bad-hb&heartbeat=soon");

    // then the device gets a bad_hello error and 1008, and the back end a bad_hello rejection, not
    // a session
    JsonObject error = device.next();
    assertThat(error.getString("type")).isEqualTo("error");
    assertThat(error.getString("code")).isEqualTo("bad_hello");
    assertThat(error.getString("message")).contains("heartbeat");
    assertThat(device.closed())
        .isEqualTo(new WsDevice.Closed(CloseCodes.POLICY_VIOLATION, "bad_hello"));
    JsonObject rejected =
        fixture.await(Addresses.REJECTED, e -> "bad_hello".equals(e.getString("code")));
    assertThat(rejected.getString("transport")).isEqualTo("websocket");
    assertThat(rejected.getString("message")).contains("heartbeat");
    fixture.settle();
    assertThat(fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
  }

  @Test
  void otherPathsAnswer404AndAPlainRequestOnThePathAnswers426() throws Exception {
    // given
    HttpClient http = HttpClient.newHttpClient();

    // when / then
    assertThatThrownBy(() -> WsDevice.connect(transport.port(), "/elsewhere"))
        .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
        .hasStackTraceContaining("404");
    assertThat(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + transport.port() + "/elsewhere"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(404);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + transport.port() + "/devices"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(426);
  }

  /**
   * Verifies that an upgrade whose {@code Sec-WebSocket-Key} is not the base64 of 16 bytes is
   * refused with 400 (RFC 6455 §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16
   * bytes in length"; a handshake that does not match "MUST" be answered with an error code "such
   * as 400 Bad Request"), and a well-formed one is upgraded.
   */
  @Test
  void upgradeWithAMalformedKeyAnswers400() throws Exception {
    assertThat(upgradeStatus("short")).isEqualTo("HTTP/1.1 400 Bad Request");
    assertThat(upgradeStatus("c2l4dGVlbiBieXRlcyBsb25nIGJ1dCBub3Q=")).startsWith("HTTP/1.1 400");
    assertThat(upgradeStatus("dGhlIHNhbXBsZSBub25jZQ=="))
        .isEqualTo("HTTP/1.1 101 Switching Protocols");
  }

  /** The status line the transport answers an upgrade request with {@code key}. */
  private String upgradeStatus(String key) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", transport.port())) {
      socket.setSoTimeout(5_000);
      socket
          .getOutputStream()
          .write(
              ("GET /devices HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      + "Sec-WebSocket-Key: "
                      + key
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }

  @Test
  void upgradeWithHeadersOverTheMaximumAnswers431() throws Exception {
    // given
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + transport.port() + "/devices"))
            .header("X-Padding", "x".repeat(10_000))
            .build();

    // when
    int status =
        HttpClient.newHttpClient()
            .send(request, HttpResponse.BodyHandlers.discarding())
            .statusCode();

    // then
    assertThat(status).isEqualTo(431);
  }

  @Test
  void connectionThatNeverSendsTheUpgradeIsClosedAtTheDeadline() throws Exception {
    // given
    try (Socket socket = new Socket("127.0.0.1", impatient.port())) {
      socket.setSoTimeout(5_000);
      long start = System.nanoTime();

      // when: nothing is sent
      InputStream in = socket.getInputStream();

      // then: the broker closes the connection after the deadline, well before the read timeout
      assertThat(in.read()).isEqualTo(-1);
      assertThat((System.nanoTime() - start) / 1_000_000)
          .isGreaterThanOrEqualTo(HANDSHAKE_TIMEOUT_MS - 50);
    }
  }
}

package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.WebSocketHandshakeException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that only pages of an allowed origin may open a device session (RFC 6455 §4.2.2
 * /origin/: "If the server does not wish to accept this connection, it MUST return an appropriate
 * HTTP error code (e.g., 403 Forbidden) and abort the WebSocket handshake"; §10.2): by default
 * requests without {@code Origin} and pages of the broker's own host, plus {@code
 * websocket.allowedOrigins}. A refused upgrade answers 403, opens nothing, and is announced as a
 * {@code sessions.rejected} with code {@code origin_not_allowed}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketOriginIT {

  private TableFixture fixture;
  private WebSocketTransport transport;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    transport = deploy(WsOptions.defaults().withPort(0));
  }

  private WebSocketTransport deploy(WsOptions options) throws Exception {
    WebSocketTransport deployed = new WebSocketTransport(fixture.table, options, DeviceAuth.NONE);
    fixture.vertx.deployVerticle(deployed).await(10, TimeUnit.SECONDS);
    return deployed;
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  /**
   * Verifies that a page of a foreign origin gets HTTP 403 instead of the upgrade, no session, and
   * a rejection naming the device it asked for (RFC 6455 §4.2.2, §10.2).
   */
  @Test
  void foreignOriginIsRefusedWith403BeforeTheUpgrade() throws Exception {
    // when: a page on evil.example asks for a device's session, identified in the upgrade
    Throwable refused =
        catchThrowable(
            () ->
                WsDevice.connect(
                    transport.port(),
                    "/devices?device=ws-origin-victim&heartbeat=30",
                    Map.of("Origin", "http://evil.example")));

    // then
    assertThat(statusOf(refused)).isEqualTo(403);
    JsonObject rejected = fixture.await(Addresses.REJECTED, "ws-origin-victim");
    assertThat(rejected.getString("code")).isEqualTo("origin_not_allowed");
    assertThat(rejected.getString("transport")).isEqualTo("websocket");
    assertThat(rejected.getString("message")).contains("http://evil.example");
    fixture.settle();
    assertThat(fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
  }

  /**
   * Verifies the default rule: no {@code Origin}, or an origin whose host is the {@code Host}
   * header's host (any scheme, any port, any case), is welcome; another name for the same machine
   * is another host, and is refused (RFC 6455 §10.2: servers "SHOULD verify the |Origin| field is
   * an origin they expect").
   */
  @Test
  void sameHostIsTheHostHeadersHostOnAnyPortAndAnotherNameIsForeign() throws Exception {
    // given: these are welcome (the JDK client sends Host: 127.0.0.1:<port>)
    WsDevice.connect(transport.port(), "/devices?device=ws-origin-none").next();
    WsDevice.connect(
            transport.port(),
            "/devices?device=ws-origin-dashboard",
            Map.of("Origin", "http://127.0.0.1:7070"))
        .next();
    WsDevice.connect(
            transport.port(),
            "/devices?device=ws-origin-tls-page",
            Map.of("Origin", "HTTPS://127.0.0.1"))
        .next();

    // when: the same machine by another name
    Throwable refused =
        catchThrowable(
            () ->
                WsDevice.connect(
                    transport.port(),
                    "/devices?device=ws-origin-localhost",
                    Map.of("Origin", "http://localhost:" + transport.port())));

    // then
    assertThat(statusOf(refused)).isEqualTo(403);
    assertThat(fixture.await(Addresses.REJECTED, "ws-origin-localhost").getString("code"))
        .isEqualTo("origin_not_allowed");
  }

  /**
   * Verifies that {@code websocket.allowedOrigins} admits exactly the origins it lists (scheme,
   * host and port; the scheme's default port may be written or not), and {@code null} for pages
   * without an origin, while others are still refused.
   */
  @Test
  void listedOriginsAreWelcomeAndOthersStillRefused() throws Exception {
    // given
    WebSocketTransport listed =
        deploy(
            WsOptions.fromJson(
                new JsonObject()
                    .put("port", 0)
                    .put(
                        "allowedOrigins", new JsonArray().add("https://app.example").add("null"))));

    // when / then: listed
    WsDevice.connect(
            listed.port(),
            "/devices?device=ws-origin-app",
            Map.of("Origin", "https://app.example:443"))
        .next();
    WsDevice.connect(listed.port(), "/devices?device=ws-origin-file", Map.of("Origin", "null"))
        .next();
    // and not listed: the same host over another scheme
    Throwable refused =
        catchThrowable(
            () ->
                WsDevice.connect(
                    listed.port(),
                    "/devices?device=ws-origin-plain-app",
                    Map.of("Origin", "http://app.example")));
    assertThat(statusOf(refused)).isEqualTo(403);
    assertThat(fixture.await(Addresses.REJECTED, "ws-origin-plain-app").getString("code"))
        .isEqualTo("origin_not_allowed");
  }

  /**
   * Verifies that a request with two {@code Origin} headers is refused: it cannot come from a
   * browser, and either value could be the one a check reads (RFC 6454 §7.3: "the user agent MUST
   * NOT include more than one Origin header field in any HTTP request").
   */
  @Test
  void twoOriginHeadersAreRefused() throws Exception {
    // when
    String response =
        RawWs.upgradeResponse(
            transport.port(),
            "/devices",
            "Origin: http://127.0.0.1\r\nOrigin: http://evil.example\r\n");

    // then
    assertThat(response).startsWith("HTTP/1.1 403");
    assertThat(
            fixture.await(
                Addresses.REJECTED, e -> "origin_not_allowed".equals(e.getString("code"))))
        .isNotNull();
  }

  private static int statusOf(Throwable refused) {
    assertThat(refused).hasCauseInstanceOf(WebSocketHandshakeException.class);
    return ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode();
  }
}

package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the WebSocket options: defaults, JSON round trip, validation and the derived ping
 * period.
 */
@Timeout(10)
class WsOptionsTest {

  @Test
  void missingKeysTakeTheDefaultsAndTheDefaultsAreLoopbackOnly() {
    // when
    WsOptions options = WsOptions.fromJson(new JsonObject());

    // then
    assertThat(options.host()).isEqualTo("127.0.0.1");
    assertThat(options.port()).isEqualTo(WsOptions.DEFAULT_PORT);
    assertThat(options.path()).isEqualTo("/devices");
    assertThat(options.handshakeTimeoutMs()).isEqualTo(WsOptions.DEFAULT_HANDSHAKE_TIMEOUT_MS);
    assertThat(options.maxFrameBytes()).isEqualTo(WsOptions.DEFAULT_MAX_FRAME_BYTES);
    assertThat(options.maxHeaderBytes()).isEqualTo(WsOptions.DEFAULT_MAX_HEADER_BYTES);
    assertThat(options.pingIntervalMs()).isEqualTo(WsOptions.PING_DERIVED);
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    // given
    WsOptions options = new WsOptions("0.0.0.0", 9000, "/ws", 2_000, 4_096, 4_096, 10_000);

    // when / then
    assertThat(WsOptions.fromJson(options.toJson())).isEqualTo(options);
  }

  @Test
  void pingPeriodIsHalfTheHeartbeatUnlessFixedOrDisabled() {
    assertThat(WsOptions.defaults().pingPeriodMs(30_000)).isEqualTo(15_000);
    assertThat(WsOptions.defaults().withPort(0).pingPeriodMs(30_000)).isEqualTo(15_000);
    assertThat(new WsOptions("h", 0, "/d", 1, 1_024, 1_024, 7_000).pingPeriodMs(30_000))
        .isEqualTo(7_000);
    assertThat(
            new WsOptions("h", 0, "/d", 1, 1_024, 1_024, WsOptions.PING_NEVER).pingPeriodMs(30_000))
        .isZero();
  }

  @Test
  void refusesSettingsThatCannotWork() {
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("path", "devices")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("handshakeTimeoutMs", 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("maxFrameBytes", 10)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("pingIntervalMs", -2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("port", 70_000)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void allowedOriginsDefaultToNoneAndReadAnArrayOrACommaSeparatedString() {
    assertThat(WsOptions.defaults().allowedOrigins()).isEmpty();
    assertThat(
            WsOptions.fromJson(
                    new JsonObject()
                        .put("allowedOrigins", new JsonArray().add("https://a.example").add("*")))
                .allowedOrigins())
        .containsExactly("https://a.example", "*");
    // an environment variable (BROKER_WEBSOCKET_ALLOWED_ORIGINS) gives a string
    assertThat(
            WsOptions.fromJson(
                    new JsonObject()
                        .put("allowedOrigins", " https://a.example, http://b.example:81"))
                .allowedOrigins())
        .containsExactly("https://a.example", "http://b.example:81");
    WsOptions listed =
        new WsOptions("h", 0, "/d", 1, 1_024, 1_024, 0, List.of("https://a.example", "null"));
    assertThat(WsOptions.fromJson(listed.toJson())).isEqualTo(listed);
    assertThat(listed.withPort(9).allowedOrigins()).isEqualTo(listed.allowedOrigins());
  }

  @Test
  void refusesAllowedOriginsThatAreNotOrigins() {
    assertThatThrownBy(
            () -> WsOptions.fromJson(new JsonObject().put("allowedOrigins", "https://a.example/x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https://a.example/x");
    assertThatThrownBy(
            () ->
                WsOptions.fromJson(new JsonObject().put("allowedOrigins", new JsonArray().add(7))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WsOptions.fromJson(new JsonObject().put("allowedOrigins", 7)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

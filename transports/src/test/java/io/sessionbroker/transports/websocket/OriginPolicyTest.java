package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies which {@code Origin} headers the WebSocket upgrade accepts (RFC 6455 §4.2.2, §10.2; RFC
 * 6454 §6.2 for the serialization, §7.3 for one header per request).
 */
@Timeout(10)
class OriginPolicyTest {

  private static final OriginPolicy DEFAULT = new OriginPolicy(List.of());

  @Test
  void requestWithoutOriginIsNoBrowserAndIsAllowed() {
    assertThat(DEFAULT.allows(List.of(), "127.0.0.1:7080")).isTrue();
    assertThat(DEFAULT.allows(List.of(), null)).isTrue();
  }

  @Test
  void sameHostIsTheHostHeadersHostWhateverSchemePortAndCase() {
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1:7070"), "127.0.0.1:7080")).isTrue();
    assertThat(DEFAULT.allows(List.of("https://Broker.Example"), "broker.example:7080")).isTrue();
    assertThat(DEFAULT.allows(List.of("http://broker.example"), "BROKER.example")).isTrue();
    assertThat(DEFAULT.allows(List.of("http://[::1]:8080"), "[::1]:7080")).isTrue();
  }

  @Test
  void anotherHostOrAnotherNameOfTheSameMachineIsForeign() {
    assertThat(DEFAULT.allows(List.of("http://evil.example"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://localhost:7080"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1.evil.example"), "127.0.0.1:7080"))
        .isFalse();
    assertThat(DEFAULT.allows(List.of("http://[::1]"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1"), null)).isFalse();
  }

  @Test
  void originThatIsNotSchemeHostPortIsRefused() {
    assertThat(DEFAULT.allows(List.of("null"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("127.0.0.1"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1/page"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://user@127.0.0.1"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1 http://a"), "127.0.0.1:7080")).isFalse();
    assertThat(DEFAULT.allows(List.of(""), "127.0.0.1:7080")).isFalse();
  }

  @Test
  void twoOriginHeadersAreRefusedEvenIfBothWouldPass() {
    assertThat(DEFAULT.allows(List.of("http://127.0.0.1", "http://127.0.0.1"), "127.0.0.1:7080"))
        .isFalse();
  }

  @Test
  void listedOriginsMatchSchemeHostAndPortIgnoringCaseAndDefaultPorts() {
    // given
    OriginPolicy listed =
        new OriginPolicy(List.of("https://app.example", "http://tool.example:8080", "null"));

    // then
    assertThat(listed.allows(List.of("https://app.example"), "broker:7080")).isTrue();
    assertThat(listed.allows(List.of("HTTPS://APP.example:443"), "broker:7080")).isTrue();
    assertThat(listed.allows(List.of("http://tool.example:8080"), "broker:7080")).isTrue();
    assertThat(listed.allows(List.of("null"), "broker:7080")).isTrue();
    assertThat(listed.allows(List.of("http://app.example"), "broker:7080")).isFalse();
    assertThat(listed.allows(List.of("https://app.example:8443"), "broker:7080")).isFalse();
    assertThat(listed.allows(List.of("http://tool.example"), "broker:7080")).isFalse();
    // the same host stays allowed beside the list
    assertThat(listed.allows(List.of("http://broker"), "broker:7080")).isTrue();
  }

  @Test
  void starAllowsEveryOrigin() {
    OriginPolicy any = new OriginPolicy(List.of("*"));
    assertThat(any.allows(List.of("http://evil.example"), "127.0.0.1:7080")).isTrue();
    assertThat(any.allows(List.of("null"), "127.0.0.1:7080")).isTrue();
  }

  @Test
  void configuredEntryThatIsNotAnOriginIsRefusedNamingIt() {
    assertThatThrownBy(() -> new OriginPolicy(List.of("https://app.example/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https://app.example/");
    assertThatThrownBy(() -> new OriginPolicy(List.of("app.example")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OriginPolicy(List.of("*.example.com")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

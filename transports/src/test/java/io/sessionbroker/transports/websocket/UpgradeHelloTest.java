package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies how the upgrade request's query and Authorization header become a hello. */
@Timeout(10)
class UpgradeHelloTest {

  @Test
  void withoutADeviceParameterTheHelloMustComeAsTheFirstFrame() throws Exception {
    assertThat(UpgradeHello.parse(null, MultiMap.caseInsensitiveMultiMap())).isNull();
    assertThat(UpgradeHello.parse("heartbeat=30", MultiMap.caseInsensitiveMultiMap())).isNull();
  }

  @Test
  void queryCarriesDeviceHeartbeatInSecondsAndToken() throws Exception {
    // when
    Frames.Hello hello =
        UpgradeHello.parse(
            "device=sensor%2042&heartbeat=1.5&token=abc", MultiMap.caseInsensitiveMultiMap());

    // then
    assertThat(hello).isEqualTo(new Frames.Hello("sensor 42", "abc", 1_500));
  }

  @Test
  void bearerHeaderWinsOverTheQueryToken() throws Exception {
    // given
    MultiMap headers =
        MultiMap.caseInsensitiveMultiMap().add("authorization", "bearer from-header");

    // when
    Frames.Hello hello = UpgradeHello.parse("device=d&token=from-query", headers);

    // then
    assertThat(hello.token()).isEqualTo("from-header");
    assertThat(hello.heartbeatMs()).isEqualTo(-1);
  }

  @Test
  void nonNumericHeartbeatIsABadHello() {
    assertThatThrownBy(
            () -> UpgradeHello.parse("device=d&heartbeat=soon", MultiMap.caseInsensitiveMultiMap()))
        .isInstanceOf(FrameException.class)
        .extracting(e -> ((FrameException) e).code())
        .isEqualTo(Frames.BAD_HELLO);
  }
}

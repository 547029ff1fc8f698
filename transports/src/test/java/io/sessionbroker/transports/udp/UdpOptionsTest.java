package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UdpOptionsTest {

  @Test
  void defaultsToLoopbackAnd1KiBDatagrams() {
    UdpOptions options = UdpOptions.defaults();

    assertThat(options.host()).isEqualTo("127.0.0.1");
    assertThat(options.port()).isEqualTo(UdpOptions.DEFAULT_PORT);
    assertThat(options.maxDatagramBytes()).isEqualTo(1024);
    assertThat(options.socketCount()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void roundTripsThroughJson() {
    UdpOptions options = new UdpOptions("::1", 5683, 512, 3, 1_048_576, 50, 250);

    assertThat(UdpOptions.fromJson(options.toJson())).isEqualTo(options);
    assertThat(UdpOptions.fromJson(new JsonObject().put("port", 0)).port()).isZero();
    assertThat(options.socketCount()).isEqualTo(3);
  }

  @Test
  void refusesSettingsItCannotHonour() {
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 70_000, 1024, 0, 0, 10, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 0, 4096, 0, 0, 10, 0))
        .hasMessageContaining("maxDatagramBytes");
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 0, 100, 0, 0, 10, 0))
        .hasMessageContaining("maxDatagramBytes");
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 0, 1024, -1, 0, 10, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 0, 1024, 0, 0, 10, -1))
        .hasMessageContaining("readPauseMicros");
    assertThatThrownBy(() -> new UdpOptions("127.0.0.1", 0, 1024, 0, 0, 10, 1_000_001))
        .hasMessageContaining("readPauseMicros");
  }
}

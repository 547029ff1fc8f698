package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the UDP transport's port is its own: its sockets share it with {@code SO_REUSEPORT}
 * among themselves, but it does not start on a port another socket holds, with or without {@code
 * SO_REUSEPORT} (two brokers sharing a port would have the kernel split the devices between their
 * session tables).
 */
@Timeout(30)
class UdpPortClaimIT {

  /**
   * Verifies that a second transport on the port of a running one, both on the native transport
   * with several sockets (as two brokers on one machine), fails to start, and the first serves on.
   */
  @Test
  void aSecondTransportOnTheSamePortFailsToStart() throws Exception {
    try (TableFixture tables = new TableFixture()) {
      Vertx vertx =
          Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
      try {
        assumeTrue(vertx.isNativeTransportEnabled(), "native transport unavailable here");
        // given a transport on a port, its two sockets joined with SO_REUSEPORT
        UdpTransport first = transport(tables, 0);
        int port = first.start(vertx).await(10, TimeUnit.SECONDS);
        assertThat(first.sockets()).isEqualTo(2);

        // when another one starts on it
        UdpTransport second = transport(tables, port);

        // then
        assertThatThrownBy(() -> second.start(vertx).await(10, TimeUnit.SECONDS))
            .hasMessageContaining("Address already in use");
        try (UdpDevice device = new UdpDevice("udp-claim-1", port)) {
          device.open(30);
          assertThat(device.ping().getString("type")).isEqualTo("pong");
        }
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  private static UdpTransport transport(TableFixture tables, int port) {
    return new UdpTransport(
        tables.table, new UdpOptions("127.0.0.1", port, 1024, 2, 0, 10, 0), DeviceAuth.NONE);
  }
}

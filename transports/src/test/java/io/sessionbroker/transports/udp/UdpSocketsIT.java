package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sockets under the protocol: several event loops sharing the port with {@code SO_REUSEPORT} on
 * the native transport, and devices on IPv6.
 */
@Timeout(30)
class UdpSocketsIT {

  /**
   * Verifies that on the native transport the port is served by the configured number of sockets,
   * each on its own event loop, and that devices whose sources the kernel spreads over them are all
   * served.
   */
  @Test
  void servesThePortFromSeveralEventLoopsWithReusePort() throws Exception {
    try (TableFixture tables = new TableFixture()) {
      // given: the transport on a Vert.x of its own that prefers the native transport; the table
      // stays apart
      Vertx vertx =
          Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(4));
      try {
        assumeTrue(vertx.isNativeTransportEnabled(), "native transport unavailable here");
        UdpTransport udp =
            new UdpTransport(
                tables.table, new UdpOptions("127.0.0.1", 0, 1024, 3, 0, 10, 0), DeviceAuth.NONE);
        int port = udp.start(vertx).await(10, TimeUnit.SECONDS);

        // when
        List<UdpDevice> devices = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          UdpDevice device = new UdpDevice("sensor-" + i, port);
          devices.add(device);
          device.open(30);
        }

        // then
        assertThat(udp.sockets()).isEqualTo(3);
        for (UdpDevice device : devices) {
          assertThat(device.ping().getString("type")).isEqualTo("pong");
          device.close();
        }
        assertThat(udp.sessions()).isEqualTo(30);
        udp.stop().await(10, TimeUnit.SECONDS);
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Verifies that a device on IPv6 gets its session, its pongs and its bye, and moves like any
   * other.
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void servesDevicesOnIpv6() throws Exception {
    InetAddress loopback6 = InetAddress.getByName("::1");
    assumeTrue(loopback6 instanceof Inet6Address && canBind(loopback6), "no IPv6 loopback here");
    try (UdpFixture udp =
        new UdpFixture(new UdpOptions("::1", 0, 1024, 0, 0, 10, 0), DeviceAuth.NONE)) {
      // given
      try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback6, 0));
          DatagramSocket moved = new DatagramSocket(new InetSocketAddress(loopback6, 0))) {
        socket.setSoTimeout(5_000);
        moved.setSoTimeout(5_000);
        InetSocketAddress broker = new InetSocketAddress(loopback6, udp.port);

        // when
        send(
            socket,
            broker,
            UdpDevice.padded(UdpDevice.hello("sensor-6", "n", 30), UdpDevice.HELLO_BYTES));
        JsonObject welcome = receive(socket);
        JsonObject ping =
            new JsonObject()
                .put("type", "ping")
                .put("device", "sensor-6")
                .put("ticket", welcome.getString("ticket"));
        send(moved, broker, ping);

        // then
        assertThat(receive(moved).getString("type")).isEqualTo("pong");
        String remote = udp.session("sensor-6").getString("remote");
        assertThat(remote).startsWith("[").endsWith("]:" + moved.getLocalPort());
        udp.table.admin().kick("sensor-6").await(5, TimeUnit.SECONDS);
        assertThat(receive(moved).getString("reason")).isEqualTo("KICKED");
        assertThat(udp.tables.await(Addresses.CLOSED, "sensor-6").getString("remote"))
            .isEqualTo(remote);
      }
    }
  }

  private static boolean canBind(InetAddress address) {
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0))) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static void send(DatagramSocket socket, InetSocketAddress to, JsonObject frame)
      throws Exception {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    socket.send(new DatagramPacket(bytes, bytes.length, to));
  }

  private static JsonObject receive(DatagramSocket socket) throws Exception {
    byte[] buffer = new byte[2048];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    socket.receive(packet);
    return new JsonObject(new String(buffer, 0, packet.getLength(), StandardCharsets.UTF_8));
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies UDP in the whole broker: a plain JDK datagram device holds a session announced through the TCP
 * bridge, and takes over (and is taken over by) the same device on raw TCP.
 */
@Timeout(60)
class UdpBridgeIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  void datagramSessionIsAnnouncedKeptAliveAndEndedByBye() throws Exception {
    try (Datagrams device = new Datagrams()) {
      JsonObject welcome = device.hello("udp-b-1");
      assertThat(welcome.getString("type")).isEqualTo("welcome");
      JsonObject opened = harness.await(Addresses.OPENED, "udp-b-1");
      assertThat(opened.getString("transport")).isEqualTo("udp");
      assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));

      device.send(device.ticketed("ping").put("status", new JsonObject().put("battery", 55)));
      assertThat(device.receive().getString("type")).isEqualTo("pong");
      device.send(device.ticketed("bye"));

      JsonObject closed = harness.await(Addresses.CLOSED, "udp-b-1");
      assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
      assertThat(closed.getJsonObject("status").getInteger("battery")).isEqualTo(55);
    }
  }

  @Test
  void tcpTakesOverUdpWhichGetsAByeDatagram() throws Exception {
    try (Datagrams udp = new Datagrams(); TcpDevice tcp = harness.tcpDevice()) {
      udp.hello("udp-b-2");
      harness.await(Addresses.OPENED, "udp-b-2");

      tcp.hello("udp-b-2", 30);

      JsonObject closed = harness.await(Addresses.CLOSED, "udp-b-2");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("transport")).isEqualTo("udp");
      assertThat(harness.await(Addresses.OPENED, "udp-b-2").getString("transport")).isEqualTo("tcp");
      JsonObject bye = udp.receive();
      assertThat(bye.getString("type")).isEqualTo("bye");
      assertThat(bye.getString("reason")).isEqualTo("TAKEN_OVER");
    }
  }

  @Test
  void udpTakesOverTcpWhichIsToldWhy() throws Exception {
    try (TcpDevice tcp = harness.tcpDevice(); Datagrams udp = new Datagrams()) {
      tcp.hello("udp-b-3", 30);
      harness.await(Addresses.OPENED, "udp-b-3");

      udp.hello("udp-b-3");

      JsonObject closed = harness.await(Addresses.CLOSED, "udp-b-3");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("transport")).isEqualTo("tcp");
      assertThat(tcp.read(WAIT)).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
    }
  }

  @Test
  void aDatagramWithAWrongTicketIsDroppedCountedAndNeverAnswered() throws Exception {
    try (Datagrams device = new Datagrams()) {
      device.hello("udp-b-4");
      harness.await(Addresses.OPENED, "udp-b-4");

      device.send(new JsonObject().put("type", "ping").put("device", "udp-b-4").put("ticket", "forged"));

      JsonObject rejected = harness.bridge.awaitMessage(Addresses.REJECTED,
          e -> "udp".equals(e.getString("transport")) && "udp-b-4".equals(e.getString("deviceId")), WAIT);
      assertThat(rejected.getString("code")).isNotBlank();
      JsonObject metrics = harness.request(Addresses.ADMIN_METRICS, new JsonObject());
      JsonObject udp = metrics.getJsonObject("byNode").getJsonObject(harness.broker.nodeId()).getJsonObject("udp");
      assertThat(udp.getJsonObject("dropped").getLong("total")).isGreaterThanOrEqualTo(1);
    }
  }

  /** A device on a plain JDK datagram socket; hellos padded so the welcome is never larger (docs/protocol.md). */
  private static final class Datagrams implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress broker;
    private String device;
    private String ticket;

    Datagrams() throws Exception {
      socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      socket.setSoTimeout((int) WAIT.toMillis());
      broker = new InetSocketAddress(InetAddress.getLoopbackAddress(), harness.broker.port("udp"));
    }

    JsonObject hello(String deviceId) throws Exception {
      device = deviceId;
      send(new JsonObject().put("type", "hello").put("device", deviceId).put("nonce", "n1").put("heartbeat", 30)
          .put("pad", "x".repeat(200)));
      JsonObject welcome = receive();
      ticket = welcome.getString("ticket");
      return welcome;
    }

    JsonObject ticketed(String type) {
      return new JsonObject().put("type", type).put("device", device).put("ticket", ticket);
    }

    void send(JsonObject frame) throws Exception {
      byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
      socket.send(new DatagramPacket(bytes, bytes.length, broker));
    }

    JsonObject receive() throws Exception {
      DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
      socket.receive(packet);
      return new JsonObject(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
      socket.close();
    }
  }
}

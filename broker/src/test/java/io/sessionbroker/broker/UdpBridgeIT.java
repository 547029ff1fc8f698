package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.TAKEN_OVER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.UdpTestDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies UDP in the whole broker: a plain JDK datagram device holds a session announced through
 * the TCP bridge, and takes over (and is taken over by) the same device on raw TCP.
 */
@Timeout(60)
class UdpBridgeIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  private static UdpTestDevice device() throws Exception {
    return new UdpTestDevice(harness.broker.port(TransportName.UDP), WAIT);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void datagramSessionIsAnnouncedKeptAliveAndEndedByBye() throws Exception {
    try (UdpTestDevice device = device()) {
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
  @ExpectCloses(TAKEN_OVER)
  void tcpTakesOverUdpWhichGetsAByeDatagram() throws Exception {
    try (UdpTestDevice udp = device();
        TcpDevice tcp = harness.tcpDevice()) {
      udp.hello("udp-b-2");
      harness.await(Addresses.OPENED, "udp-b-2");

      tcp.hello("udp-b-2", 30);

      JsonObject closed = harness.await(Addresses.CLOSED, "udp-b-2");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("transport")).isEqualTo("udp");
      assertThat(harness.await(Addresses.OPENED, "udp-b-2").getString("transport"))
          .isEqualTo("tcp");
      JsonObject bye = udp.receive();
      assertThat(bye.getString("type")).isEqualTo("bye");
      assertThat(bye.getString("reason")).isEqualTo("TAKEN_OVER");
    }
  }

  @Test
  @ExpectCloses(TAKEN_OVER)
  void udpTakesOverTcpWhichIsToldWhy() throws Exception {
    try (TcpDevice tcp = harness.tcpDevice();
        UdpTestDevice udp = device()) {
      tcp.hello("udp-b-3", 30);
      harness.await(Addresses.OPENED, "udp-b-3");

      udp.hello("udp-b-3");

      JsonObject closed = harness.await(Addresses.CLOSED, "udp-b-3");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("transport")).isEqualTo("tcp");
      assertThat(tcp.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
    }
  }

  /**
   * Verifies docs/protocol.md, "The ticket": a datagram with a wrong ticket is dropped, counted as
   * {@code badTicket}, reported as a {@code bad_ticket} rejection naming the device and its
   * address, never answered, and does not touch the session it names.
   */
  @Test
  void aDatagramWithAWrongTicketIsDroppedCountedReportedAndNeverAnswered() throws Exception {
    try (UdpTestDevice device = device()) {
      // given an open session, and a broker clock past its last proof of life
      device.hello("udp-b-4");
      harness.await(Addresses.OPENED, "udp-b-4");
      long badTicketsBefore = badTickets();
      long lastSeenBefore = session("udp-b-4").getLong("lastSeenAt");
      Awaitility.await()
          .atMost(WAIT)
          .until(() -> harness.broker.table().clock().millis() > lastSeenBefore);

      // when a ping with a forged ticket comes from the device's own address
      device.send(
          new JsonObject().put("type", "ping").put("device", "udp-b-4").put("ticket", "forged"));

      // then it is reported as a bad ticket of this device and address, and counted
      JsonObject rejected =
          harness.bridge.awaitMessage(
              Addresses.REJECTED,
              e ->
                  "udp".equals(e.getString("transport"))
                      && "udp-b-4".equals(e.getString("deviceId")),
              WAIT);
      assertThat(rejected.getString("code")).isEqualTo("bad_ticket");
      assertThat(rejected.getString("remote")).isEqualTo(device.localAddress());
      assertThat(badTickets()).isEqualTo(badTicketsBefore + 1);
      // and the session did not take it for a sign of life
      assertThat(session("udp-b-4").getLong("lastSeenAt")).isEqualTo(lastSeenBefore);
      // and it got no answer: the answer to a valid ping sent after it is the first datagram to
      // come back
      device.send(device.ticketed("ping"));
      assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "pong"));
    }
  }

  private static JsonObject session(String deviceId) throws Exception {
    return harness.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", deviceId));
  }

  private static long badTickets() throws Exception {
    JsonObject metrics = harness.request(Addresses.ADMIN_METRICS, new JsonObject());
    return metrics
        .getJsonObject("byNode")
        .getJsonObject(harness.broker.nodeId())
        .getJsonObject("udp")
        .getJsonObject("dropped")
        .getLong("badTicket");
  }
}

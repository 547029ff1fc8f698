package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.KICKED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies what a back end does through the TCP event bus bridge with raw TCP devices of a whole
 * broker: kick, list and count, replay. The TCP transport itself is verified in the transports
 * module ({@code TcpTransportIT}).
 */
@Timeout(60)
class TcpBridgeIT {

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
  @ExpectCloses(KICKED)
  void kickThroughTheBridgeClosesWithKicked() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("kick-1", 30);
      harness.await(Addresses.OPENED, "kick-1");

      JsonObject reply =
          harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "kick-1"));

      assertThat(reply.getBoolean("kicked")).isTrue();
      assertThat(harness.await(Addresses.CLOSED, "kick-1").getString("reason")).isEqualTo("KICKED");
      assertThat(device.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
    }
  }

  @Test
  void listAndCountShowOpenSessionsByTransport() throws Exception {
    try (TcpDevice a = harness.tcpDevice();
        TcpDevice b = harness.tcpDevice()) {
      a.hello("list-a", 30);
      b.hello("list-b", 30);

      JsonObject count = harness.request(Addresses.ADMIN_COUNT, new JsonObject());
      JsonObject page =
          harness.request(
              Addresses.ADMIN_LIST, new JsonObject().put("transport", "tcp").put("limit", 1000));

      assertThat(count.getJsonObject("byTransport").getInteger("tcp")).isGreaterThanOrEqualTo(2);
      assertThat(
              page.getJsonArray("sessions").stream()
                  .map(s -> ((JsonObject) s).getString("deviceId")))
          .contains("list-a", "list-b");
      JsonObject onePage = harness.request(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1));
      assertThat(onePage.getJsonArray("sessions")).hasSize(1);
      assertThat(onePage.getInteger("total")).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void eventsCarryIncreasingSeqAndCanBeReplayedFromAnySeq() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("replay-1", 30);
      JsonObject opened = harness.await(Addresses.OPENED, "replay-1");
      device.send(new JsonObject().put("type", "bye"));
      JsonObject closed = harness.await(Addresses.CLOSED, "replay-1");
      assertThat(closed.getLong("seq")).isGreaterThan(opened.getLong("seq"));

      JsonObject replay =
          harness.request(
              Addresses.ADMIN_EVENTS,
              new JsonObject().put("fromSeq", opened.getLong("seq")).put("max", 1000));

      assertThat(replay.getBoolean("gap")).isFalse();
      var replayed =
          replay.getJsonArray("events").stream()
              .map(JsonObject.class::cast)
              .filter(e -> "replay-1".equals(e.getJsonObject("body").getString("deviceId")))
              .toList();
      assertThat(replayed)
          .extracting(e -> e.getString("address"))
          .containsExactly(Addresses.OPENED, Addresses.CLOSED);
      assertThat(replayed)
          .extracting(e -> e.getLong("seq"))
          .containsExactly(opened.getLong("seq"), closed.getLong("seq"));
    }
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the raw TCP transport end to end: a plain-socket device against a whole broker, every event
 * asserted as a subscriber of the TCP event bus bridge sees it.
 */
@Timeout(60)
class TcpTransportIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(conf -> conf.getJsonObject("tcp").put("handshakeTimeoutMs", 500));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  void helloIsWelcomedWithGrantedHeartbeatAndAnnouncedOpened() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      JsonObject welcome = device.hello("welcome-1", 30);

      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(welcome.getInteger("heartbeat")).isEqualTo(30);
      assertThat(welcome.getDouble("timeout")).isEqualTo(45.0);
      JsonObject opened = harness.await(Addresses.OPENED, "welcome-1");
      assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));
      assertThat(opened.getString("transport")).isEqualTo("tcp");
      assertThat(opened.getLong("epoch")).isEqualTo(1L);
      assertThat(opened.getString("node")).isEqualTo(harness.broker.nodeId());
      assertThat(opened.getString("remote")).startsWith("127.0.0.1:");
    }
  }

  @Test
  void pingIsAnsweredAndItsStatusKeptInGetAndInTheCloseEvent() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("status-1", 30);
      device.send(new JsonObject().put("type", "ping").put("status", new JsonObject().put("battery", 80)));
      assertThat(device.read(WAIT).getString("type")).isEqualTo("pong");

      JsonObject session = harness.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", "status-1"));
      assertThat(session.getJsonObject("status").getInteger("battery")).isEqualTo(80);

      device.send(new JsonObject().put("type", "bye"));
      JsonObject closed = harness.await(Addresses.CLOSED, "status-1");
      assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
      assertThat(closed.getJsonObject("status").getInteger("battery")).isEqualTo(80);
      assertThat(device.closedByBroker(WAIT)).isTrue();
    }
  }

  @Test
  void dataIsForwardedToDevicesInbound() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      JsonObject welcome = device.hello("data-1", 30);
      device.send(new JsonObject().put("type", "data").put("payload", new JsonObject().put("t", 21.5)));

      JsonObject inbound = harness.await(Addresses.INBOUND, "data-1");
      assertThat(inbound.getString("sessionId")).isEqualTo(welcome.getString("session"));
      assertThat(inbound.getString("transport")).isEqualTo("tcp");
      assertThat(inbound.getJsonObject("payload").getDouble("t")).isEqualTo(21.5);
    }
  }

  @Test
  void silenceIsEvictedWithTimeoutAndTheDeviceIsToldWhy() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("silent-1", 0.2);

      JsonObject closed = harness.await(Addresses.CLOSED, "silent-1");
      assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
      long lateness = closed.getLong("at") - closed.getLong("lastSeenAt") - closed.getLong("timeoutMs");
      System.out.println("tcp eviction lateness: " + lateness + " ms");
      assertThat(lateness).isGreaterThanOrEqualTo(0);
      assertThat(device.read(WAIT)).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
      assertThat(device.closedByBroker(WAIT)).isTrue();
    }
  }

  @Test
  void heartbeatsKeepTheSessionPastItsTimeout() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      JsonObject welcome = device.hello("alive-1", 0.2);
      // heartbeats, each answered before the next, for three times the session's timeout
      long until = System.nanoTime() + (long) (3 * welcome.getDouble("timeout") * 1e9);
      while (System.nanoTime() < until) {
        device.send(new JsonObject().put("type", "ping"));
        assertThat(device.read(WAIT).getString("type")).isEqualTo("pong");
      }
      JsonObject session = harness.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", "alive-1"));
      assertThat(session.getString("deviceId")).isEqualTo("alive-1");
    }
  }

  @Test
  void socketDropWithoutByeIsConnectionLost() throws Exception {
    TcpDevice device = harness.tcpDevice();
    device.hello("drop-1", 30);

    device.abort();

    assertThat(harness.await(Addresses.CLOSED, "drop-1").getString("reason")).isEqualTo("CONNECTION_LOST");
  }

  @Test
  void secondHelloForTheSameDeviceTakesOverAndClosesTheFirst() throws Exception {
    try (TcpDevice first = harness.tcpDevice(); TcpDevice second = harness.tcpDevice()) {
      JsonObject firstWelcome = first.hello("twin-1", 30);
      harness.await(Addresses.OPENED, "twin-1");

      JsonObject secondWelcome = second.hello("twin-1", 30);

      JsonObject closed = harness.await(Addresses.CLOSED, "twin-1");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("sessionId")).isEqualTo(firstWelcome.getString("session"));
      JsonObject opened = harness.await(Addresses.OPENED, "twin-1");
      assertThat(opened.getString("sessionId")).isEqualTo(secondWelcome.getString("session"));
      assertThat(opened.getLong("epoch")).isEqualTo(closed.getLong("epoch") + 1);
      assertThat(first.read(WAIT)).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
      assertThat(first.closedByBroker(WAIT)).isTrue();
      second.send(new JsonObject().put("type", "ping"));
      assertThat(second.read(WAIT).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void kickThroughTheBridgeClosesWithKicked() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("kick-1", 30);
      harness.await(Addresses.OPENED, "kick-1");

      JsonObject reply = harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "kick-1"));

      assertThat(reply.getBoolean("kicked")).isTrue();
      assertThat(harness.await(Addresses.CLOSED, "kick-1").getString("reason")).isEqualTo("KICKED");
      assertThat(device.read(WAIT)).isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
    }
  }

  @Test
  void malformedJsonIsBadFrameAndRejected() throws Exception {
    assertRejected("{not json\n", "bad_frame");
  }

  @Test
  void frameBeforeHelloIsProtocolErrorAndRejected() throws Exception {
    assertRejected("{\"type\":\"ping\"}\n", "protocol_error");
  }

  @Test
  void helloWithoutDeviceIsBadHelloAndRejected() throws Exception {
    assertRejected("{\"type\":\"hello\",\"heartbeat\":30}\n", "bad_hello");
  }

  @Test
  void lineOverTheMaximumIsFrameTooLarge() throws Exception {
    assertRejected("{\"type\":\"hello\",\"device\":\"" + "x".repeat(9000) + "\"}\n", "frame_too_large");
  }

  @Test
  void unterminatedLineGrowingOverTheMaximumIsFrameTooLarge() throws Exception {
    assertRejected("{\"type\":\"hello\",\"device\":\"" + "x".repeat(20_000), "frame_too_large");
  }

  @Test
  void noHelloWithinTheHandshakeDeadlineIsHandshakeTimeout() throws Exception {
    assertRejected("", "handshake_timeout");
  }

  @Test
  void unknownFrameAfterHelloIsProtocolErrorAndClosesTheSession() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("unknown-1", 30);

      device.send(new JsonObject().put("type", "launch"));

      assertThat(device.read(WAIT).getString("code")).isEqualTo("protocol_error");
      assertThat(harness.await(Addresses.CLOSED, "unknown-1").getString("reason")).isEqualTo("PROTOCOL_ERROR");
      assertThat(device.closedByBroker(WAIT)).isTrue();
    }
  }

  @Test
  void listAndCountShowOpenSessionsByTransport() throws Exception {
    try (TcpDevice a = harness.tcpDevice(); TcpDevice b = harness.tcpDevice()) {
      a.hello("list-a", 30);
      b.hello("list-b", 30);

      JsonObject count = harness.request(Addresses.ADMIN_COUNT, new JsonObject());
      JsonObject page = harness.request(Addresses.ADMIN_LIST, new JsonObject().put("transport", "tcp").put("limit", 1000));

      assertThat(count.getJsonObject("byTransport").getInteger("tcp")).isGreaterThanOrEqualTo(2);
      assertThat(page.getJsonArray("sessions").stream().map(s -> ((JsonObject) s).getString("deviceId")))
          .contains("list-a", "list-b");
      JsonObject onePage = harness.request(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1));
      assertThat(onePage.getJsonArray("sessions")).hasSize(1);
      assertThat(onePage.getInteger("total")).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void eventsCarryIncreasingSeqAndCanBeReplayedFromAnySeq() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("replay-1", 30);
      JsonObject opened = harness.await(Addresses.OPENED, "replay-1");
      device.send(new JsonObject().put("type", "bye"));
      JsonObject closed = harness.await(Addresses.CLOSED, "replay-1");
      assertThat(closed.getLong("seq")).isGreaterThan(opened.getLong("seq"));

      JsonObject replay = harness.request(Addresses.ADMIN_EVENTS,
          new JsonObject().put("fromSeq", opened.getLong("seq")).put("max", 1000));

      assertThat(replay.getBoolean("gap")).isFalse();
      var replayed = replay.getJsonArray("events").stream().map(JsonObject.class::cast)
          .filter(e -> "replay-1".equals(e.getJsonObject("body").getString("deviceId"))).toList();
      assertThat(replayed).extracting(e -> e.getString("address"))
          .containsExactly(Addresses.OPENED, Addresses.CLOSED);
      assertThat(replayed).extracting(e -> e.getLong("seq"))
          .containsExactly(opened.getLong("seq"), closed.getLong("seq"));
    }
  }

  private static void assertRejected(String input, String code) throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.sendRaw(input);

      JsonObject error = device.read(Duration.ofSeconds(5));
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo(code);
      assertThat(device.closedByBroker(WAIT)).isTrue();
      JsonObject rejected = harness.bridge.awaitMessage(Addresses.REJECTED, e -> code.equals(e.getString("code")), WAIT);
      assertThat(rejected.getString("transport")).isEqualTo("tcp");
    }
  }
}

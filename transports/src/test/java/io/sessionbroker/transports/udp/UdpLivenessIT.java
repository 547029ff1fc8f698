package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A UDP session's life after the welcome: ping, status, data, bye, timeout, and tickets that do not
 * fit.
 */
@Timeout(30)
class UdpLivenessIT {

  /**
   * Eviction is at most one tick (10 ms) late; this allows for a loaded 2-core machine on top.
   * Never early is asserted exactly.
   */
  private static final long LATENESS_ALLOWED_MS = 500;

  private UdpFixture udp;

  @BeforeEach
  void start() throws Exception {
    udp = new UdpFixture();
  }

  @AfterEach
  void stop() throws Exception {
    udp.close();
  }

  /** Verifies that a ping with the session's ticket is answered with a pong, and counted. */
  @Test
  void answersAPingWithAPong() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    JsonObject pong = device.ping();

    // then
    assertThat(pong).isEqualTo(new JsonObject().put("type", "pong"));
    assertThat(udp.udp.stats().get(Counter.PING)).isEqualTo(1);
  }

  /**
   * Verifies that a ping without a status is proof of life: the session's lastSeenAt moves to the
   * moment it was sent, past where it was.
   */
  @Test
  void takesAPingWithoutAStatusAsProofOfLife() throws Exception {
    // given
    UdpDevice device = udp.device("pinging-1");
    device.open(30);
    long sentAt = udp.clockPast(udp.session(device.deviceId).getLong("lastSeenAt"));

    // when
    device.send(device.frame("ping"));

    // then
    assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "pong"));
    assertThat(udp.session(device.deviceId).getLong("lastSeenAt")).isGreaterThanOrEqualTo(sentAt);
  }

  /**
   * Verifies that a data datagram is proof of life: once it is on devices.inbound, the session's
   * lastSeenAt has moved to the moment it was sent, past where it was.
   */
  @Test
  void takesADataDatagramAsProofOfLife() throws Exception {
    // given
    UdpDevice device = udp.device("reporting-1");
    device.open(30);
    long sentAt = udp.clockPast(udp.session(device.deviceId).getLong("lastSeenAt"));

    // when
    device.send(device.frame("data").put("payload", 21.5));

    // then
    assertThat(udp.tables.await(Addresses.INBOUND, device.deviceId).getDouble("payload"))
        .isEqualTo(21.5);
    assertThat(udp.session(device.deviceId).getLong("lastSeenAt")).isGreaterThanOrEqualTo(sentAt);
  }

  /**
   * Verifies that data datagrams alone keep a session open for twice its timeout, and that once
   * they stop it times out one timeout after the last of them, not after its open.
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void staysOpenOnDataAloneAndTimesOutOnceTheDataStops() throws Exception {
    // given: a 750 ms timeout
    UdpDevice device = udp.device("reporting-2");
    device.open(0.5);
    long timeoutMs = 750;
    long connectedAt = udp.session(device.deviceId).getLong("connectedAt");

    // when: data every 100 ms, and nothing else, for two timeouts
    long lastSentAt = connectedAt;
    for (int i = 0; lastSentAt - connectedAt < 2 * timeoutMs; i++) {
      assertThat(udp.session(device.deviceId))
          .as("open after %d ms of data alone", lastSentAt - connectedAt)
          .isNotNull();
      lastSentAt = udp.table.clock().millis();
      device.send(device.frame("data").put("payload", i));
      int sent = i;
      udp.tables.await(
          Addresses.INBOUND,
          e ->
              device.deviceId.equals(e.getString("deviceId"))
                  && Integer.valueOf(sent).equals(e.getValue("payload")));
      TimeUnit.MILLISECONDS.sleep(100); // the device's own heartbeat
    }

    // then
    JsonObject closed = udp.tables.await(Addresses.CLOSED, device.deviceId);
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getLong("timeoutMs")).isEqualTo(timeoutMs);
    assertThat(closed.getLong("lastSeenAt")).isGreaterThanOrEqualTo(lastSentAt);
    assertThat(closed.getLong("at")).isGreaterThanOrEqualTo(lastSentAt + timeoutMs);
    assertThat(device.receive())
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TIMEOUT")
                .put("session", device.session));
  }

  /** Verifies that the status a ping carries is kept and shown in get and in the close event. */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void keepsTheStatusAPingCarries() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    JsonObject status = new JsonObject().put("battery", 87).put("fw", "1.2.3");

    // when
    device.send(device.frame("ping").put("status", status));

    // then
    assertThat(device.receive().getString("type")).isEqualTo("pong");
    assertThat(udp.session("sensor-1").getJsonObject("status")).isEqualTo(status);
    device.send(device.frame("bye"));
    assertThat(udp.tables.await(Addresses.CLOSED, "sensor-1").getJsonObject("status"))
        .isEqualTo(status);
  }

  /** Verifies that a data datagram is published on devices.inbound, unanswered. */
  @Test
  void forwardsDataToDevicesInbound() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    device.send(device.frame("data").put("payload", new JsonObject().put("temp", 21.5)));

    // then
    JsonObject inbound = udp.tables.await(Addresses.INBOUND, "sensor-1");
    assertThat(inbound.getString("sessionId")).isEqualTo(device.session);
    assertThat(inbound.getString("transport")).isEqualTo("udp");
    assertThat(inbound.getJsonObject("payload")).isEqualTo(new JsonObject().put("temp", 21.5));
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
  }

  /**
   * Verifies that a bye closes the session with CLIENT_CLOSED and that the broker answers nothing.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void closesWithClientClosedOnBye() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    device.send(device.frame("bye"));

    // then
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    assertThat(closed.getString("remote")).isEqualTo(device.remote());
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.sessions()).isEqualTo(1); // the barrier's
  }

  /**
   * Verifies that a silent session is evicted one timeout after its last ping, not after its open,
   * and is told so with a bye.
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void timesOutOneTimeoutAfterTheLastPingAndSaysBye() throws Exception {
    // given: a 300 ms timeout, and a ping later than the open
    UdpDevice device = udp.device("silent-1");
    device.open(0.2);
    long pingedAt = udp.clockPast(udp.session(device.deviceId).getLong("connectedAt"));
    assertThat(device.ping().getString("type")).isEqualTo("pong");

    // when
    JsonObject closed = udp.tables.await(Addresses.CLOSED, device.deviceId);

    // then
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getLong("timeoutMs")).isEqualTo(300);
    assertThat(closed.getLong("lastSeenAt")).as("the ping's time").isGreaterThanOrEqualTo(pingedAt);
    long lateness = closed.getLong("at") - closed.getLong("lastSeenAt") - 300;
    assertThat(lateness).isBetween(0L, LATENESS_ALLOWED_MS);
    assertThat(device.receive())
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TIMEOUT")
                .put("session", device.session));
  }

  /**
   * Verifies that pings with a wrong ticket neither keep a session alive nor get an answer: the
   * session times out on schedule from its real last ping, the datagrams are counted and reported.
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void neverLetsAWrongTicketKeepASessionAlive() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(0.5);
    UdpDevice forger = udp.device("forger");
    forger.ticket = "AAAAAAAAAAAAAAAAAAAAAA";
    JsonObject forged = new JsonObject().put("type", "ping").put("device", "sensor-1");

    // when: pings with a wrong ticket, none, a non-string one, and a bye with a wrong ticket, for a
    // while
    long until = System.currentTimeMillis() + 500;
    int sent = 0;
    while (System.currentTimeMillis() < until) {
      forger.send(forged.copy().put("ticket", forger.ticket));
      forger.send(forged.copy());
      forger.send(forged.copy().put("ticket", 42));
      forger.send(forged.copy().put("type", "bye").put("ticket", device.ticket.substring(1) + "A"));
      sent += 4;
      TimeUnit.MILLISECONDS.sleep(
          20); // pacing a stream of forged datagrams, not waiting for a result
    }

    // then
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getLong("lastSeenAt")).isEqualTo(closed.getLong("connectedAt"));
    assertThat(closed.getLong("at") - closed.getLong("connectedAt") - 750)
        .isBetween(0L, LATENESS_ALLOWED_MS);
    assertThat(forger.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.BAD_TICKET)).isEqualTo(sent);
    JsonObject rejected = udp.tables.await(Addresses.REJECTED, "sensor-1");
    assertThat(rejected.getString("code")).isEqualTo("bad_ticket");
    assertThat(rejected.getString("remote")).isEqualTo(forger.remote());
  }

  /** Verifies that a bye with a wrong ticket does not end the session. */
  @Test
  void neverLetsAWrongTicketEndASession() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    String ticket = device.ticket;
    device.ticket = ticket.substring(0, 21) + (ticket.endsWith("A") ? "B" : "A");

    // when
    device.send(device.frame("bye"));

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    device.ticket = ticket;
    assertThat(device.ping().getString("type")).isEqualTo("pong");
    assertThat(udp.session("sensor-1")).isNotNull();
  }

  /** Verifies that a session the broker ends (here: kicked) is told so with one bye. */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void saysByeWhenTheBrokerEndsTheSession() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    assertThat(udp.table.admin().kick("sensor-1").await(5, TimeUnit.SECONDS)).isTrue();

    // then
    assertThat(device.receive())
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "KICKED")
                .put("session", device.session));
    assertThat(udp.tables.await(Addresses.CLOSED, "sensor-1").getString("reason"))
        .isEqualTo("KICKED");
    device.send(device.frame("ping"));
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().get(Counter.BYE_SENT)).isEqualTo(1);
  }

  /**
   * Verifies that a broker shutting down closes every UDP session with SHUTDOWN and tells each
   * device so.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void saysByeToEveryDeviceOnShutdown() throws Exception {
    // given
    List<UdpDevice> devices = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UdpDevice device = udp.device("sensor-" + i);
      device.open(30);
      devices.add(device);
    }

    // when
    assertThat(udp.table.shutdown().await(5, TimeUnit.SECONDS)).isEqualTo(3);

    // then
    for (UdpDevice device : devices) {
      assertThat(device.receive())
          .isEqualTo(
              new JsonObject()
                  .put("type", "bye")
                  .put("reason", "SHUTDOWN")
                  .put("session", device.session));
      assertThat(udp.tables.await(Addresses.CLOSED, device.deviceId).getString("reason"))
          .isEqualTo("SHUTDOWN");
    }
    assertThat(udp.udp.sessions()).isZero();
  }
}

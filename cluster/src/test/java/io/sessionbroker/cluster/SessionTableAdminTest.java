package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import io.sessionbroker.cluster.RecordingEvents.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies the admin side of the table: kick, get, list, count, reject and shutdown. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTableAdminTest {

  @Test
  void kickByDeviceIdClosesWithKicked() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);

    // when
    boolean kicked = t.table.admin().kick("sensor-1").result();

    // then
    assertThat(kicked).isTrue();
    assertThat(t.events.closes())
        .extracting(Event::session, Event::reason)
        .containsExactly(Tuple.tuple(session, CloseReason.KICKED));
    assertThat(t.connectionCloses).containsExactly(CloseReason.KICKED);
  }

  @Test
  void kickBySessionIdClosesThatSessionOnly() {
    // given
    Tables t = new Tables();
    Session target = t.open("sensor-1", 1_000);
    Session other = t.open("sensor-2", 1_000);

    // when
    boolean kicked = t.table.admin().kick(target.sessionId()).result();

    // then
    assertThat(kicked).isTrue();
    assertThat(target.isOpen()).isFalse();
    assertThat(other.isOpen()).isTrue();
  }

  @Test
  void kickOfAnUnknownOrClosedSessionReportsFalse() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);
    t.table.close(session, CloseReason.CLIENT_CLOSED);

    // when / then
    assertThat(t.table.admin().kick("nobody").result()).isFalse();
    assertThat(t.table.admin().kick(session.sessionId()).result()).isFalse();
    assertThat(t.events.closes()).hasSize(1);
  }

  @Test
  void getFindsASessionByDeviceIdOrSessionIdWithItsStatus() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);
    t.table.touch(session, new JsonObject().put("battery", 80));

    // when
    JsonObject byDevice = t.table.admin().get("sensor-1").result();
    JsonObject bySession = t.table.admin().get(session.sessionId()).result();

    // then
    assertThat(byDevice).isEqualTo(bySession);
    assertThat(byDevice.getString("deviceId")).isEqualTo("sensor-1");
    assertThat(byDevice.getString("sessionId")).isEqualTo(session.sessionId()).hasSize(16);
    assertThat(byDevice.getString("node")).isEqualTo("node-a");
    assertThat(byDevice.getLong("epoch")).isEqualTo(1);
    assertThat(byDevice.getInteger("timeoutMs")).isEqualTo(1_500);
    assertThat(byDevice.getJsonObject("status").getInteger("battery")).isEqualTo(80);
    assertThat(t.table.admin().get("sensor-2").result()).isNull();
  }

  @Test
  void listPagesOldestFirstAndFiltersByTransport() {
    // given: five sessions opened a millisecond apart, tcp and udp alternating
    Tables t = new Tables();
    for (int i = 0; i < 5; i++) {
      t.open("device-" + i, i % 2 == 0 ? "tcp" : "udp", 1_000);
      t.clock.advance(1);
    }

    // when
    JsonObject page = t.table.admin().list(null, 1, 2).result();
    JsonObject tcp = t.table.admin().list("tcp", 0, 10).result();
    JsonObject beyond = t.table.admin().list(null, 10, 10).result();

    // then
    assertThat(page.getInteger("total")).isEqualTo(5);
    assertThat(page.getInteger("offset")).isEqualTo(1);
    assertThat(deviceIds(page.getJsonArray("sessions"))).containsExactly("device-1", "device-2");
    assertThat(tcp.getInteger("total")).isEqualTo(3);
    assertThat(deviceIds(tcp.getJsonArray("sessions")))
        .containsExactly("device-0", "device-2", "device-4");
    assertThat(beyond.getJsonArray("sessions")).isEmpty();
  }

  @Test
  void countCountsOpenSessionsByTransport() {
    // given
    Tables t = new Tables();
    t.open("a", "tcp", 1_000);
    t.open("b", "tcp", 1_000);
    t.open("c", "mqtt", 1_000);
    Session closed = t.open("d", "udp", 1_000);
    t.table.close(closed, CloseReason.CLIENT_CLOSED);

    // when
    JsonObject count = t.table.admin().count().result();

    // then
    assertThat(count)
        .isEqualTo(
            new JsonObject()
                .put("total", 3)
                .put("byTransport", new JsonObject().put("mqtt", 1).put("tcp", 2)));
  }

  @Test
  void aRejectionIsAnnouncedAndOpensNothing() {
    // given
    Tables t = new Tables();

    // when
    t.table.reject(
        new Rejection("tcp", "127.0.0.1:4000", null, "handshake_timeout", "no hello in 10 s"));

    // then
    assertThat(t.events.events).extracting(Event::kind).containsExactly(Kind.REJECTED);
    assertThat(t.table.admin().count().result().getInteger("total")).isZero();
  }

  @Test
  void shutdownClosesEverySessionWithShutdownAndNothingExpiresAfterwards() {
    // given
    Tables t = new Tables();
    List<Session> sessions = List.of(t.open("a", "tcp", 0), t.open("b", 1_000), t.open("c", 2_000));

    // when
    int closed = t.table.shutdown().result();
    t.run(10_000);

    // then
    assertThat(closed).isEqualTo(3);
    assertThat(sessions).noneMatch(Session::isOpen);
    assertThat(t.events.closes())
        .hasSize(3)
        .extracting(Event::reason)
        .containsOnly(CloseReason.SHUTDOWN);
    assertThat(t.connectionCloses)
        .containsExactly(CloseReason.SHUTDOWN, CloseReason.SHUTDOWN, CloseReason.SHUTDOWN);
    assertThat(t.table.admin().count().result().getInteger("total")).isZero();
  }

  private static List<String> deviceIds(JsonArray sessions) {
    return sessions.stream().map(s -> ((JsonObject) s).getString("deviceId")).toList();
  }
}

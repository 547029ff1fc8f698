package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the eviction rules of DESIGN §3 invariant 3 and §4 on a fake clock: never early, at most
 * a tick late.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTableEvictionTest {

  private static final long TICK = Tables.TICK_MS;

  @Test
  void expiresOneTickAfterOneAndAHalfIntervalsOfSilence() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);
    long openedAt = t.clock.millis();

    // when
    long closedAt = t.runUntilClosed(session, 10_000);

    // then
    assertThat(session.timeoutMs()).isEqualTo(1_500);
    assertThat(closedAt - openedAt).isBetween(1_500L, 1_500L + TICK);
    assertThat(t.events.closes())
        .singleElement()
        .extracting(Event::reason)
        .isEqualTo(CloseReason.TIMEOUT);
    assertThat(t.connectionCloses).containsExactly(CloseReason.TIMEOUT);
  }

  @Test
  void neverEvictsBeforeTheDeadlineWhateverTheClockPhase() {
    // given: sessions opened at every millisecond of a tick, so each lands differently in its
    // bucket
    Tables t = new Tables();
    List<Session> sessions = new ArrayList<>();
    List<Long> openedAt = new ArrayList<>();
    for (int i = 0; i < 2 * TICK; i++) {
      sessions.add(t.open("sensor-" + i, 100 + i));
      openedAt.add(t.clock.millis());
      t.clock.advance(1);
      t.table.tick();
    }

    // when
    t.run(2_000);

    // then
    for (int i = 0; i < sessions.size(); i++) {
      Session session = sessions.get(i);
      long lateness = t.events.of(session).get(1).at() - openedAt.get(i) - session.timeoutMs();
      assertThat(lateness).as("lateness of %s", session).isBetween(0L, TICK);
    }
  }

  @Test
  void staysOpenUntilTheLastMillisecondBeforeTheDeadline() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);

    // when: ticks up to one millisecond before the deadline
    t.run(1_499);

    // then
    assertThat(session.isOpen()).isTrue();
    assertThat(t.events.closes()).isEmpty();
  }

  @Test
  void aHeartbeatJustBeforeTheDeadlineExtendsItSeveralTimesInARow() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);

    // when: five heartbeats, each one millisecond before the session would expire
    for (int i = 0; i < 5; i++) {
      t.run(1_499);
      t.table.touch(session);
    }
    long lastHeartbeat = t.clock.millis();
    long closedAt = t.runUntilClosed(session, 10_000);

    // then
    assertThat(closedAt - lastHeartbeat).isBetween(1_500L, 1_500L + TICK);
    assertThat(t.events.closes()).hasSize(1);
  }

  @Test
  void aHeartbeatWithStatusKeepsTheStatusAndExtendsTheDeadline() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);
    t.run(1_000);

    // when
    t.table.touch(session, new io.vertx.core.json.JsonObject().put("battery", 71));
    t.run(1_000);

    // then
    assertThat(session.isOpen()).isTrue();
    assertThat(session.status().getInteger("battery")).isEqualTo(71);
    assertThat(session.lastSeenAt()).isEqualTo(FakeClock.START + 1_000);
  }

  @Test
  void deadlinesBeyondTheWheelSpanStillFireOnTime() {
    // given: 300 s heartbeat -> 450 s timeout, eleven times the 40.96 s the 4,096-slot wheel spans
    Tables t = new Tables();
    Session session = t.open("sensor-1", 300_000);
    long openedAt = t.clock.millis();

    // when
    long closedAt = t.runUntilClosed(session, 500_000);

    // then
    assertThat(session.timeoutMs()).isEqualTo(450_000);
    assertThat(closedAt - openedAt).isBetween(450_000L, 450_000L + TICK);
  }

  @Test
  void aHeartbeatExtendsADeadlineBeyondTheWheelSpan() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 300_000);

    // when: a heartbeat after 400 s moves the deadline to 850 s
    t.run(400_000);
    t.table.touch(session);
    long heartbeatAt = t.clock.millis();
    long closedAt = t.runUntilClosed(session, 500_000);

    // then
    assertThat(closedAt - heartbeatAt).isBetween(450_000L, 450_000L + TICK);
  }

  @Test
  void sessionsWithoutAHeartbeatNeverExpire() {
    // given: heartbeat 0 = the transport detects loss itself (TCP keepalive)
    Tables t = new Tables();
    Session session = t.open("tcp-device", "tcp", 0);

    // when: an hour of silence
    t.run(3_600_000);

    // then
    assertThat(session.timeoutMs()).isZero();
    assertThat(session.isOpen()).isTrue();
    assertThat(t.events.closes()).isEmpty();
  }

  @Test
  void aClosedSessionIsNotEvictedAgainWhenItsSlotComesDue() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);

    // when
    t.table.close(session, CloseReason.CLIENT_CLOSED);
    t.run(5_000);

    // then
    assertThat(t.events.closes())
        .extracting(Event::reason)
        .containsExactly(CloseReason.CLIENT_CLOSED);
  }
}

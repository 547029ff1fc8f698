package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a mass expiry (a network partition) is evicted in bounded batches, oldest deadlines
 * first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTableMassExpiryTest {

  private static final long TICK = Tables.TICK_MS;

  @Test
  void thousandSimultaneousExpiriesGoOutInFourBatchesOfTwoHundredFifty() {
    // given: 1,000 sessions with the same deadline, at most 250 evictions per tick
    Tables t = new Tables();
    for (int i = 0; i < 1_000; i++) {
      t.open("sensor-" + i, 1_000);
    }

    // when: tick up to the deadline's tick, then four more ticks
    t.run(1_500 - (FakeClock.START + 1_500) % TICK);
    List<Integer> closedPerTick = new ArrayList<>();
    for (int tick = 0; tick < 5; tick++) {
      int before = t.events.closes().size();
      t.run(TICK);
      closedPerTick.add(t.events.closes().size() - before);
    }

    // then
    assertThat(closedPerTick).containsExactly(250, 250, 250, 250, 0);
    assertThat(t.events.closes()).extracting(Event::reason).containsOnly(CloseReason.TIMEOUT);
  }

  @Test
  void aBacklogOfExpiriesLeavesOldestDeadlinesFirst() {
    // given: 1,000 sessions whose deadlines spread over 40 ticks, 25 per tick
    Tables t = new Tables();
    for (int i = 0; i < 1_000; i++) {
      t.open("sensor-" + i, 1_000);
      if (i % 25 == 24) {
        t.run(TICK);
      }
    }

    // when: the table's thread stalls past every deadline, then ticks four times
    t.clock.advance(5_000);
    List<List<Session>> batches = new ArrayList<>();
    for (int tick = 0; tick < 4; tick++) {
      int before = t.events.closes().size();
      t.table.tick();
      batches.add(
          t.events.closes().subList(before, t.events.closes().size()).stream()
              .map(Event::session)
              .toList());
      t.clock.advance(TICK);
    }

    // then
    assertThat(batches).allSatisfy(batch -> assertThat(batch).hasSize(250));
    for (int i = 1; i < batches.size(); i++) {
      long latestBefore =
          batches.get(i - 1).stream().mapToLong(Session::deadline).max().orElseThrow();
      long earliestNow = batches.get(i).stream().mapToLong(Session::deadline).min().orElseThrow();
      assertThat(latestBefore).isLessThanOrEqualTo(earliestNow);
    }
  }

  @Test
  void aHeartbeatWhileWaitingInTheBacklogSavesTheSession() {
    // given: 500 expired sessions, 250 evicted, the rest waiting for the next tick
    Tables t = new Tables();
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      sessions.add(t.open("sensor-" + i, 1_000));
    }
    t.run(
        1_510); // the silence is complete from lastSeenAt + timeout + 1 ms on: the tick after 1,500
    List<Session> waiting = sessions.stream().filter(Session::isOpen).toList();
    assertThat(waiting).hasSize(250);

    // when: one of them heartbeats before the next tick
    Session saved = waiting.get(0);
    t.table.touch(saved);
    t.run(TICK);

    // then: its silence is no longer longer than its timeout, so it is not a timeout
    assertThat(saved.isOpen()).isTrue();
    assertThat(t.events.closes()).hasSize(499);
  }

  /**
   * Verifies that a tick tells the connections of the sessions it expired only once it has ended
   * its whole batch (each connection after its own close event), and hands the batch's close events
   * in inside one {@code SessionEvents.batch}: told one by one, each event loop woke at the batch's
   * first close and competed with the table for the cores (issue 17).
   */
  @Test
  void aTicksExpiriesReachTheirConnectionsOnceTheWholeBatchHasEnded() {
    // given: 250 sessions with the same deadline, each connection noting how many closes the table
    // had handed in when it was told
    Tables t = new Tables();
    List<Integer> closesWhenTold = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      t.table
          .open(
              new OpenRequest(
                  "sensor-" + i,
                  "udp",
                  "127.0.0.1:5000",
                  1_000,
                  null,
                  (session, reason) -> closesWhenTold.add(t.events.closes().size())))
          .result();
    }

    // when: ticks past the deadline
    t.run(2_000);

    // then: every connection was told after all 250 closes, which came in one batch
    assertThat(closesWhenTold).hasSize(250).containsOnly(250);
    assertThat(t.events.batches).containsExactly(250);
  }
}

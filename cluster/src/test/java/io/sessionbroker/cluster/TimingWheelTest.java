package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies the wheel on its own, told the time by the test: what {@link TimingWheel#advance}
 * returns, what {@link TimingWheel#size} counts, the exact deadline, and the budget (the table
 * never looks at the first two, so only these tests guard them).
 */
class TimingWheelTest {

  private static final long TICK = 10;
  private static final int SLOTS = 16;

  /** Off a tick boundary, like {@link FakeClock#START}. */
  private static final long START = 1_003;

  private final List<Session> expired = new ArrayList<>();
  private final TimingWheel wheel = new TimingWheel(TICK, SLOTS, START);
  private long ids;

  private Session open(int timeoutMs, long now) {
    Session session =
        new Session(
            ++ids,
            new OpenRequest("wheel-" + ids, "udp", null, 0, null, (s, r) -> {}),
            new Liveness(timeoutMs, timeoutMs),
            now);
    session.state(Session.State.OPEN);
    return session;
  }

  /** Verifies that a slot count that is not a power of two is refused. */
  @Test
  void refusesASlotCountThatIsNotAPowerOfTwo() {
    assertThatThrownBy(() -> new TimingWheel(TICK, 12, START))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Verifies that a session expires when its tick is processed at exactly its deadline, not a tick
   * later.
   */
  @Test
  void expiresASessionWhoseTickIsProcessedAtExactlyItsDeadline() {
    // given
    Session session = open(100, START);
    wheel.add(session);

    // when
    int atDeadline = wheel.advance(session.deadline(), 10, expired::add);

    // then
    assertThat(atDeadline).isOne();
    assertThat(expired).containsExactly(session);
  }

  /** Verifies that a session is not expired one millisecond before its deadline. */
  @Test
  void keepsASessionOneMillisecondBeforeItsDeadline() {
    // given
    Session session = open(100, START);
    wheel.add(session);

    // when
    int before = wheel.advance(session.deadline() - 1, 10, expired::add);

    // then
    assertThat(before).isZero();
    assertThat(expired).isEmpty();
    assertThat(wheel.size()).isOne();
  }

  /** Verifies that advance returns how many it expired, and size counts what is scheduled. */
  @Test
  void advanceReturnsTheNumberExpiredAndSizeCountsWhatIsLeft() {
    // given: three sessions due together, one without a deadline
    List<Session> due = List.of(open(100, START), open(100, START), open(100, START));
    due.forEach(wheel::add);
    wheel.add(
        new Session(
            ++ids,
            new OpenRequest("forever", "tcp", null, 0, null, (s, r) -> {}),
            Liveness.NONE,
            START));
    assertThat(wheel.size()).isEqualTo(3);

    // when
    int first = wheel.advance(START + 200, 2, expired::add);
    int second = wheel.advance(START + 210, 2, expired::add);

    // then
    assertThat(first).isEqualTo(2);
    assertThat(second).isOne();
    assertThat(expired).containsExactlyInAnyOrderElementsOf(due);
    assertThat(wheel.size()).isZero();
  }

  /**
   * Verifies that a closed session is dropped when its slot comes due, without using the expiry
   * budget.
   */
  @Test
  void aClosedSessionIsDroppedWithoutUsingTheBudget() {
    // given: two sessions in the same slot, the one processed first closed
    Session open = open(100, START);
    Session closed = open(100, START);
    wheel.add(open);
    wheel.add(closed); // a slot is a stack: the last added is processed first
    closed.state(Session.State.CLOSED);

    // when
    int count = wheel.advance(START + 200, 1, expired::add);

    // then
    assertThat(count).isOne();
    assertThat(expired).containsExactly(open);
    assertThat(wheel.size()).isZero();
  }

  /**
   * Verifies that a closed session waiting in the backlog is dropped from it without being expired.
   */
  @Test
  void aClosedSessionInTheBacklogIsDroppedWithoutBeingExpired() {
    // given: two due sessions, a budget of one, so one waits in the backlog; then it closes
    Session a = open(100, START);
    Session b = open(100, START);
    wheel.add(a);
    wheel.add(b);
    wheel.advance(START + 200, 1, expired::add);
    Session waiting = expired.contains(a) ? b : a;
    waiting.state(Session.State.CLOSED);

    // when
    int count = wheel.advance(START + 210, 1, expired::add);

    // then
    assertThat(count).isZero();
    assertThat(expired).doesNotContain(waiting);
    assertThat(wheel.size()).isZero();
  }

  /**
   * Verifies that a session touched while it waited in the backlog is re-armed, not forgotten: it
   * expires once it has been silent for its timeout again.
   */
  @Test
  void aSessionTouchedInTheBacklogExpiresAfterItsNewDeadline() {
    // given: two due sessions and a budget of one: one waits in the backlog, then is touched
    Session a = open(100, START);
    Session b = open(100, START);
    wheel.add(a);
    wheel.add(b);
    wheel.advance(START + 200, 1, expired::add);
    Session waiting = expired.contains(a) ? b : a;
    waiting.touch(START + 205);

    // when
    int saved = wheel.advance(START + 210, 1, expired::add);
    int stillSaved = wheel.advance(waiting.deadline() - 1, 1, expired::add);
    int atNewDeadline = wheel.advance(waiting.deadline() + TICK, 1, expired::add);

    // then
    assertThat(saved).isZero();
    assertThat(stillSaved).isZero();
    assertThat(atNewDeadline).isOne();
    assertThat(expired).endsWith(waiting);
    assertThat(wheel.size()).isZero();
  }

  /**
   * Verifies that a session the table closes leaves the wheel at once, wherever it sits in its slot
   * (the last added, one between, the first added), and the others of the slot still expire (issue
   * 17: a closed session left in its slot kept its connection, channel and buffers reachable for up
   * to the wheel's span, 20.48 s with the shipped tick).
   */
  @Test
  void aRemovedSessionLeavesTheWheelAtOnceFromAnyPlaceInItsSlot() {
    // given: four sessions in one slot (a stack: the last added is its head)
    Session first = open(100, START);
    Session middle = open(100, START);
    Session beforeHead = open(100, START);
    Session head = open(100, START);
    List.of(first, middle, beforeHead, head).forEach(wheel::add);

    // when: the head, one between and the tail close and leave the wheel
    for (Session closing : List.of(head, middle, first)) {
      closing.state(Session.State.CLOSED);
      wheel.remove(closing);
    }

    // then: counted out at once, and the one left still expires on time
    assertThat(wheel.size()).isOne();
    assertThat(wheel.advance(START + 200, 10, expired::add)).isOne();
    assertThat(expired).containsExactly(beforeHead);
    assertThat(wheel.size()).isZero();
  }

  /**
   * Verifies that a session closed while the wheel walks its slot (an expiry closing another
   * session of the same slot) is counted out once and not expired, and that removing it then does
   * not cut the rest of the slot off.
   */
  @Test
  void aSessionClosedWhileItsSlotIsWalkedIsCountedOutOnceAndTheRestExpire() {
    // given: three sessions in one slot; expiring the head closes the one after it
    Session last = open(100, START);
    Session second = open(100, START);
    Session head = open(100, START);
    List.of(last, second, head).forEach(wheel::add);

    // when
    int count =
        wheel.advance(
            START + 200,
            10,
            session -> {
              expired.add(session);
              if (session == head) {
                second.state(Session.State.CLOSED);
                wheel.remove(second);
              }
            });

    // then
    assertThat(count).isEqualTo(2);
    assertThat(expired).containsExactly(head, last);
    assertThat(wheel.size()).isZero();
  }

  /** Verifies that removing a session twice, or one never added, changes nothing. */
  @Test
  void removingASessionTwiceOrOneNeverAddedChangesNothing() {
    // given
    Session kept = open(100, START);
    Session closed = open(100, START);
    wheel.add(kept);
    wheel.add(closed);
    closed.state(Session.State.CLOSED);
    wheel.remove(closed);

    // when
    wheel.remove(closed);
    wheel.remove(open(100, START));

    // then
    assertThat(wheel.size()).isOne();
    assertThat(wheel.advance(START + 200, 10, expired::add)).isOne();
    assertThat(expired).containsExactly(kept);
  }

  /**
   * Verifies the wheel against a model over long random runs of what the table does to it — opens,
   * heartbeats, closes (also from inside an expiry), advances with small and large budgets,
   * deadlines beyond the wheel's span — so that its linking is checked where examples do not reach:
   * no session expires before its deadline or twice, a closed one never expires, with a budget that
   * covers every due session none is left a tick past its deadline, and in the end every open
   * session expires and the wheel is empty and holds none of them.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a broken link: a cycle
  void keepsEveryPromiseOverARandomRunOfOpensTouchesClosesAndAdvances(long seed) {
    Random random = new Random(seed);
    List<Session> live = new ArrayList<>();
    List<Session> all = new ArrayList<>();
    Set<Session> expiredOnce = new HashSet<>();
    long[] now = {START};
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(10);
      if (op < 3 || live.isEmpty()) {
        Session session = open(20 + random.nextInt(600), now[0]); // the span is 160 ms
        live.add(session);
        all.add(session);
        wheel.add(session);
      } else if (op < 6) {
        live.get(random.nextInt(live.size())).touch(now[0]);
      } else if (op == 6) {
        close(live.remove(random.nextInt(live.size())));
      } else {
        now[0] += random.nextInt(25);
        boolean coversAll = random.nextBoolean();
        int budget = coversAll ? Integer.MAX_VALUE : 1 + random.nextInt(5);
        int count =
            wheel.advance(
                now[0],
                budget,
                session -> {
                  assertThat(session.state()).isNotEqualTo(Session.State.CLOSED);
                  assertThat(now[0]).isGreaterThanOrEqualTo(session.deadline());
                  assertThat(expiredOnce.add(session)).as("expired once").isTrue();
                  live.remove(session);
                  close(session);
                  if (!live.isEmpty() && random.nextInt(4) == 0) {
                    close(live.remove(random.nextInt(live.size()))); // an expiry closes another
                  }
                });
        assertThat(count).isLessThanOrEqualTo(budget);
        if (coversAll) {
          assertThat(live) // its tick is processed by the first advance at or after the tick
              .allMatch(session -> session.deadline() > now[0] - TICK, "none a tick overdue");
        }
      }
    }
    wheel.advance(now[0] + 10_000, Integer.MAX_VALUE, expired::add);
    assertThat(expired).containsExactlyInAnyOrderElementsOf(live);
    assertThat(wheel.size()).isZero();
    assertThat(all) // the wheel holds none of them: expired, dropped or removed, each is let go
        .allMatch(
            session ->
                session.wheelSlot == -1 && session.wheelNext == null && session.wheelPrev == null,
            "out of the wheel");
  }

  private void close(Session session) {
    session.state(Session.State.CLOSED);
    wheel.remove(session);
  }
}

package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}

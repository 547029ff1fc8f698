package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies the broker's clock: epoch milliseconds that never go backwards. */
class ClockTest {

  /**
   * Verifies that the monotonic clock starts at the wall clock's time, never behind it (it keeps
   * the start-up reading's sub-millisecond part), at most a generous second ahead (a sanity bound),
   * and that consecutive readings never decrease.
   */
  @Test
  void theMonotonicClockStartsAtWallClockTimeAndNeverGoesBackwards() {
    // given
    long wallBefore = System.currentTimeMillis();
    Clock clock = Clock.monotonic();

    // when
    long first = clock.millis();
    long previous = first;
    for (int i = 0; i < 10_000; i++) {
      long now = clock.millis();
      assertThat(now).isGreaterThanOrEqualTo(previous);
      previous = now;
    }

    // then
    assertThat(first).isBetween(wallBefore, System.currentTimeMillis() + 1_000);
  }
}

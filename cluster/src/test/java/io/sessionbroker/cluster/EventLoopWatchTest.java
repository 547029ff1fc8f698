package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a stalled event loop holds the wheel's time back, and that healthy loops do not.
 * The loops are real (their stamps are scheduled tasks); the time they stamp comes from a clock the
 * test sets.
 */
@Timeout(30)
class EventLoopWatchTest {

  private static final long PERIOD_MS = 5;
  private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
  private volatile long now = 1_000_000;
  private final Clock clock = () -> now;

  @AfterEach
  void stop() {
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void healthyLoopsReportNow() throws Exception {
    try (EventLoopWatch watch = new EventLoopWatch(loops, clock, PERIOD_MS, 50)) {
      now += 1_000;
      awaitStamps();
      assertThat(watch.getAsLong()).isEqualTo(now);
    }
  }

  @Test
  void aStalledLoopHoldsTimeAtItsLastStampUntilItRunsAgain() throws Exception {
    try (EventLoopWatch watch = new EventLoopWatch(loops, clock, PERIOD_MS, 50)) {
      // given one loop blocked by a long task
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch blocked = new CountDownLatch(1);
      loops
          .next()
          .execute(
              () -> {
                blocked.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      blocked.await();
      long stalledAt = now;

      // when time runs on far past the stall threshold
      now += 5_000;

      // then the watch reports at most the stalled loop's last stamp
      assertThat(watch.getAsLong()).isLessThanOrEqualTo(stalledAt);

      // and once the loop runs again, now
      release.countDown();
      awaitStamps();
      assertThat(watch.getAsLong()).isEqualTo(now);
    }
  }

  @Test
  void theTableEvictsNothingPastTheTimeItHasBeenReadingUntil() {
    Tables t = new Tables();
    Session session = t.open("stalled-1", 1_000);
    long readUntil = t.clock.millis();
    t.readingUntil = readUntil;

    t.run(10_000);

    assertThat(session.isOpen()).isTrue();
    t.readingUntil = Long.MAX_VALUE;
    t.run(10);
    assertThat(session.isOpen()).isFalse();
  }

  /**
   * Returns once every loop has stamped since the clock last moved: a task scheduled two periods
   * out runs after the loop's periodic stamp, which is due earlier (Netty runs scheduled tasks in
   * deadline order).
   */
  private void awaitStamps() throws Exception {
    for (EventExecutor loop : loops) {
      loop.schedule(() -> null, 2 * PERIOD_MS, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Verifies that a loop counts as stalled only once its stamp is more than the threshold old:
   * exactly the threshold is still now. The loops stamp only every hour here, so the stamps stay
   * where the test put them.
   */
  @Test
  void aStampExactlyTheThresholdOldIsNotAStall() {
    try (EventLoopWatch watch = new EventLoopWatch(loops, clock, 3_600_000, 50)) {
      // given
      long stamped = now;

      // when
      now = stamped + 50;
      long atThreshold = watch.getAsLong();
      now = stamped + 51;
      long pastThreshold = watch.getAsLong();

      // then
      assertThat(atThreshold).isEqualTo(stamped + 50);
      assertThat(pastThreshold).isEqualTo(stamped);
    }
  }
}

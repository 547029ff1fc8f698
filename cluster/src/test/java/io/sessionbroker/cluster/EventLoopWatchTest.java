package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoopGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a stalled event loop holds the wheel's time back, and that healthy loops do not. The loops
 * are real (their stamps are scheduled tasks); the time they stamp comes from a clock the test sets.
 */
@Timeout(30)
class EventLoopWatchTest {

  private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
  private volatile long now = 1_000_000;
  private final Clock clock = () -> now;

  @AfterEach
  void stop() {
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void healthyLoopsReportNow() throws Exception {
    try (EventLoopWatch watch = new EventLoopWatch(loops, clock, 5, 50)) {
      now += 1_000;
      awaitTrue(() -> watch.getAsLong() == now);
    }
  }

  @Test
  void aStalledLoopHoldsTimeAtItsLastStampUntilItRunsAgain() throws Exception {
    try (EventLoopWatch watch = new EventLoopWatch(loops, clock, 5, 50)) {
      // given one loop blocked by a long task
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch blocked = new CountDownLatch(1);
      loops.next().execute(() -> {
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
      Thread.sleep(50); // the healthy loop stamps the new time meanwhile

      // then the watch reports at most the stalled loop's last stamp
      assertThat(watch.getAsLong()).isLessThanOrEqualTo(stalledAt);

      // and once the loop runs again, now
      release.countDown();
      awaitTrue(() -> watch.getAsLong() == now);
    }
  }

  @Test
  void theTableEvictsNothingPastTheTimeItHasBeenReadingUntil() {
    Tables t = new Tables();
    Session session = t.open("stalled-1", 1_000);
    long readUntil = t.clock.millis();
    t.table.readingUntil(() -> readUntil);

    t.run(10_000);

    assertThat(session.isOpen()).isTrue();
    t.table.readingUntil(() -> Long.MAX_VALUE);
    t.run(10);
    assertThat(session.isOpen()).isFalse();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      Thread.sleep(5);
    }
  }
}

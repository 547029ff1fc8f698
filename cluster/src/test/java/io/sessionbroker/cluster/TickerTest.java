package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies the broker's ticker: it ticks at the period it is given, and stops. */
@Timeout(30)
class TickerTest {

  private static final long PERIOD_MS = 5;
  private static final int TICKS = 60;

  /**
   * Verifies that the scheduler ticks every period: the median gap between ticks is within twice the period.
   * A median, and a factor of two, so a loaded machine's hiccups do not fail it; a ticker several times slower
   * than asked (the broker would evict that much later) does. Precision is measured in bench/, not here.
   */
  @Test
  void ticksAtThePeriodItIsGiven() throws Exception {
    // given
    List<Long> at = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch enough = new CountDownLatch(TICKS);

    // when
    Ticker.Stop stop = Ticker.scheduler().start(PERIOD_MS, () -> {
      at.add(System.nanoTime());
      enough.countDown();
    });
    assertThat(enough.await(20, TimeUnit.SECONDS)).isTrue();
    stop.stop();

    // then
    List<Long> gaps = new ArrayList<>();
    synchronized (at) {
      for (int i = 1; i < TICKS; i++) {
        gaps.add(at.get(i) - at.get(i - 1));
      }
    }
    Collections.sort(gaps);
    long medianMicros = gaps.get(gaps.size() / 2) / 1_000;
    assertThat(medianMicros).isBetween(PERIOD_MS * 1_000 / 2, PERIOD_MS * 2 * 1_000);
  }

  /** Verifies that a stopped scheduler ticks no more, while another one goes on ticking. */
  @Test
  void stopsTicking() throws Exception {
    // given
    java.util.concurrent.atomic.AtomicInteger ticks = new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch first = new CountDownLatch(1);
    Ticker.Stop stop = Ticker.scheduler().start(1, () -> {
      ticks.incrementAndGet();
      first.countDown();
    });
    assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();

    // when
    stop.stop();
    int atStop = ticks.get();
    CountDownLatch probe = new CountDownLatch(20);
    Ticker.Stop other = Ticker.scheduler().start(1, probe::countDown);
    assertThat(probe.await(10, TimeUnit.SECONDS)).isTrue();
    other.stop();

    // then: twenty periods went by; the stopped ticker ran at most the tick that was under way
    assertThat(ticks.get()).isLessThanOrEqualTo(atStop + 1);
  }

  /** Verifies that the scheduler ticks on a daemon thread of its own, so a forgotten ticker never keeps a JVM up. */
  @Test
  void ticksOnADaemonThreadOfItsOwn() throws Exception {
    // given
    CountDownLatch ticked = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Thread> thread = new java.util.concurrent.atomic.AtomicReference<>();

    // when
    Ticker.Stop stop = Ticker.scheduler().start(1, () -> {
      thread.compareAndSet(null, Thread.currentThread());
      ticked.countDown();
    });
    assertThat(ticked.await(10, TimeUnit.SECONDS)).isTrue();
    stop.stop();

    // then
    assertThat(thread.get().isDaemon()).isTrue();
    assertThat(thread.get().getName()).isEqualTo("session-table-tick");
  }
}

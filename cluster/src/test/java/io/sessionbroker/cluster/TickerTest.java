package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies the broker's ticker: it ticks at the period it is given, and stops. */
@Timeout(30)
class TickerTest {

  private static final long PERIOD_MS = 5;
  private static final int TICKS = 60;

  /**
   * Verifies that the scheduler ticks every period: sixty ticks take between half and twice sixty
   * periods. The mean, not the median: a fixed-rate scheduler that was held up (a loaded machine)
   * catches up with ticks back to back, which keeps the mean at the period while the median gap
   * shrinks to microseconds. A ticker several times slower than asked (the broker would evict that
   * much later) fails. Precision is measured in bench/.
   */
  @Test
  void ticksAtThePeriodItIsGiven() throws Exception {
    // given
    List<Long> at = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch enough = new CountDownLatch(TICKS);

    // when
    long started = System.nanoTime();
    Ticker.Stop stop =
        Ticker.scheduler()
            .start(
                PERIOD_MS,
                () -> {
                  at.add(System.nanoTime());
                  enough.countDown();
                });
    assertThat(enough.await(20, TimeUnit.SECONDS)).isTrue();
    stop.stop();

    // then: the TICKS-th tick is due TICKS periods after the start
    long lastMicros;
    synchronized (at) {
      lastMicros = (at.get(TICKS - 1) - started) / 1_000;
    }
    long dueMicros = TICKS * PERIOD_MS * 1_000;
    assertThat(lastMicros).isBetween(dueMicros / 2, dueMicros * 2);
  }

  /** Verifies that a stopped scheduler ticks no more, while another one goes on ticking. */
  @Test
  void stopsTicking() throws Exception {
    // given
    java.util.concurrent.atomic.AtomicInteger ticks =
        new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch first = new CountDownLatch(1);
    Ticker.Stop stop =
        Ticker.scheduler()
            .start(
                1,
                () -> {
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

  /**
   * Verifies that the scheduler ticks on a daemon thread of its own, so a forgotten ticker never
   * keeps a JVM up.
   */
  @Test
  void ticksOnADaemonThreadOfItsOwn() throws Exception {
    // given
    CountDownLatch ticked = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Thread> thread =
        new java.util.concurrent.atomic.AtomicReference<>();

    // when
    Ticker.Stop stop =
        Ticker.scheduler()
            .start(
                1,
                () -> {
                  thread.compareAndSet(null, Thread.currentThread());
                  ticked.countDown();
                });
    assertThat(ticked.await(10, TimeUnit.SECONDS)).isTrue();
    stop.stop();

    // then
    assertThat(thread.get().isDaemon()).isTrue();
    assertThat(thread.get().getName()).isEqualTo("session-table-tick");
  }

  /**
   * Verifies that the scheduler started on a thread it is given ticks on that thread, at the
   * period, and stops when told while the thread goes on: the session table's own thread, which the
   * table keeps using.
   */
  @Test
  void ticksOnTheThreadItIsGivenUntilStopped() throws Exception {
    // given
    ScheduledExecutorService given = Executors.newSingleThreadScheduledExecutor();
    Thread givenThread = given.submit(Thread::currentThread).get();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    CountDownLatch enough = new CountDownLatch(TICKS);

    // when
    long started = System.nanoTime();
    Ticker.Stop stop =
        Ticker.scheduler()
            .startOn(
                given,
                PERIOD_MS,
                () -> {
                  threads.add(Thread.currentThread());
                  enough.countDown();
                });
    assertThat(enough.await(20, TimeUnit.SECONDS)).isTrue();
    long elapsedMicros = (System.nanoTime() - started) / 1_000;
    stop.stop();
    int atStop = threads.size();
    given.submit(() -> {}).get(10, TimeUnit.SECONDS);
    CountDownLatch laterTask = new CountDownLatch(1);
    given.schedule(laterTask::countDown, 20 * PERIOD_MS, TimeUnit.MILLISECONDS);
    assertThat(laterTask.await(10, TimeUnit.SECONDS)).isTrue();
    given.shutdownNow();

    // then: every tick on the given thread, at the period; none after the stop, the thread still
    // running what else it is given
    assertThat(threads).containsOnly(givenThread);
    assertThat(elapsedMicros).isBetween(TICKS * PERIOD_MS * 500, TICKS * PERIOD_MS * 2_000);
    assertThat(threads).hasSize(atStop);
  }
}

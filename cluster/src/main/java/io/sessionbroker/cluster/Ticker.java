package io.sessionbroker.cluster;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What drives the session table's eviction tick: calls {@code tick} every {@code periodMs} until
 * stopped. The broker uses {@link #scheduler()}; a test injects its own to record the period it is
 * asked for, or to tick by hand.
 */
@FunctionalInterface
public interface Ticker {

  /**
   * Starts ticking; the returned handle stops it. {@code tick} must be quick: it only hands work
   * over.
   */
  Stop start(long periodMs, Runnable tick);

  /**
   * Starts ticking on {@code thread} if this ticker can: {@link #scheduler()} ticks on the session
   * table's own thread, so a tick is one wake-up of that thread instead of one of a ticker thread
   * and one of the table's. A ticker that cannot (a test's, fired by hand) starts as {@link
   * #start}.
   */
  default Stop startOn(ScheduledExecutorService thread, long periodMs, Runnable tick) {
    return start(periodMs, tick);
  }

  /** Stops a ticker; idempotent. */
  @FunctionalInterface
  interface Stop {
    void stop();
  }

  /**
   * Ticks from a daemon thread of its own, at a fixed rate. Not {@code vertx.setPeriodic}: a Vert.x
   * timer fires on an event loop, and the event loops are the ones busy closing sockets after a
   * mass eviction, so the next tick would wait behind that work (docs/benchmarks.md has the
   * lateness both ways).
   */
  static Ticker scheduler() {
    return new Ticker() {
      @Override
      public Stop start(long periodMs, Runnable tick) {
        ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(
                task -> {
                  Thread ticker = new Thread(task, "session-table-tick");
                  ticker.setDaemon(true);
                  return ticker;
                });
        thread.scheduleAtFixedRate(tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return thread::shutdownNow;
      }

      @Override
      public Stop startOn(ScheduledExecutorService thread, long periodMs, Runnable tick) {
        ScheduledFuture<?> ticking =
            thread.scheduleAtFixedRate(tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return () -> ticking.cancel(false);
      }
    };
  }
}

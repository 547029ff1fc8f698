package io.sessionbroker.cluster;

import java.time.Instant;

/**
 * The time in milliseconds since the epoch. Liveness code reads time only through this interface,
 * so tests advance a fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Clock {

  long millis();

  /**
   * A clock that never goes backwards: wall-clock time read once at start-up, advanced by {@link
   * System#nanoTime()}. A wall-clock step (NTP) therefore cannot evict every session at once or
   * none.
   *
   * <p>The start-up reading keeps its microseconds ({@link Instant#now()}, not {@code
   * currentTimeMillis}), so this clock does not run up to a millisecond behind the wall clock:
   * event times ({@code at}) compared with another process's clock on the same host (a device's,
   * the load generator's) are not skewed by the rounding.
   */
  static Clock monotonic() {
    Instant start = Instant.now();
    long baseNanos = System.nanoTime();
    long baseEpochNanos = start.getEpochSecond() * 1_000_000_000L + start.getNano();
    return () -> (baseEpochNanos + (System.nanoTime() - baseNanos)) / 1_000_000L;
  }
}

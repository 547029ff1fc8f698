package io.sessionbroker.cluster;

/**
 * The time in milliseconds since the epoch. Liveness code reads time only through this interface, so tests
 * advance a fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Clock {

  long millis();

  /**
   * A clock that never goes backwards: wall-clock time read once at start-up, advanced by {@link
   * System#nanoTime()}. A wall-clock step (NTP) therefore cannot evict every session at once or none.
   */
  static Clock monotonic() {
    long baseMillis = System.currentTimeMillis();
    long baseNanos = System.nanoTime();
    return () -> baseMillis + (System.nanoTime() - baseNanos) / 1_000_000L;
  }
}

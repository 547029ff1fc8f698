package io.sessionbroker.broker;

/**
 * Delays between reconnection attempts: {@code initialMs}, doubling up to {@code maxMs}, back to
 * the start after a success. A value, told nothing of the clock: the caller waits.
 */
final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private long nextMs;

  Backoff(long initialMs, long maxMs) {
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new IllegalArgumentException("need 0 < initialMs <= maxMs");
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.nextMs = initialMs;
  }

  /** The delay before the next attempt; each call doubles the one after, up to the bound. */
  long next() {
    long delay = nextMs;
    nextMs = Math.min(maxMs, nextMs * 2);
    return delay;
  }

  /** After a success: the next failure starts again from the initial delay. */
  void reset() {
    nextMs = initialMs;
  }
}

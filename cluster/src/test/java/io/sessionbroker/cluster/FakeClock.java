package io.sessionbroker.cluster;

/** A clock that stands still until a test advances it. */
final class FakeClock implements Clock {

  /**
   * Deliberately not a multiple of any tick, so bucket arithmetic is exercised off the boundaries.
   */
  static final long START = 1_700_000_000_003L;

  private volatile long now;

  FakeClock() {
    this(START);
  }

  FakeClock(long now) {
    this.now = now;
  }

  @Override
  public long millis() {
    return now;
  }

  void advance(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("a clock does not go backwards");
    }
    now += millis;
  }
}

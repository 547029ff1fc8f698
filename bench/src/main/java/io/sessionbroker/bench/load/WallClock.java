package io.sessionbroker.bench.load;

/** nanoTime mapped to wall-clock milliseconds with sub-millisecond precision, anchored once. */
final class WallClock {
  private final long anchorNanos = System.nanoTime();
  private final long anchorMs = System.currentTimeMillis();

  double ms(long nanos) {
    return anchorMs + (nanos - anchorNanos) / 1e6;
  }
}

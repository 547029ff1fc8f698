package io.sessionbroker.bench.load;

import java.time.Instant;

/**
 * nanoTime mapped to wall-clock milliseconds with sub-millisecond precision, anchored once with the
 * wall clock's microseconds (as the broker's {@code Clock.monotonic()}), so the two processes'
 * times agree to well under a millisecond on one host.
 */
final class WallClock {
  private final long anchorNanos;
  private final double anchorMs;

  WallClock() {
    Instant now = Instant.now();
    anchorNanos = System.nanoTime();
    anchorMs = now.getEpochSecond() * 1e3 + now.getNano() / 1e6;
  }

  double ms(long nanos) {
    return anchorMs + (nanos - anchorNanos) / 1e6;
  }
}

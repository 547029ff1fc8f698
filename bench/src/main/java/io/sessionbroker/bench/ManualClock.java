package io.sessionbroker.bench;

import io.sessionbroker.cluster.Clock;

/**
 * A clock the benchmark advances itself, so a measurement shows the table's cost and not the cost
 * of reading the system clock (which {@code TouchBenchmark} measures separately).
 */
final class ManualClock implements Clock {

  private long now = 1_700_000_000_000L;

  @Override
  public long millis() {
    return now;
  }

  void advance(long millis) {
    now += millis;
  }
}

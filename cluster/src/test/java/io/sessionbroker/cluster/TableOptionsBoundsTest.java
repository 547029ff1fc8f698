package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Verifies the edges of the options' validation: each bound itself is allowed, one past it is not.
 */
class TableOptionsBoundsTest {

  /**
   * Verifies that bounds that meet (min = max, default at either end, multiplier 1) are accepted.
   */
  @Test
  void boundsThatMeetAreAccepted() {
    TableOptions tight = options(1, 1, 1_000, 1_000, 1_000, 1.0, 1_000, 1_000);

    assertThat(tight.negotiate(5_000)).isEqualTo(new Liveness(1_000, 1_000));
    assertThat(options(1, 1, 2_000, 1_000, 2_000, 1.0, 1, 1).defaultHeartbeatMs()).isEqualTo(2_000);
  }

  /**
   * Verifies that a minimum timeout of zero is refused: every session would need a deadline of at
   * least 1 ms.
   */
  @Test
  void aMinimumTimeoutOfZeroIsRefused() {
    assertThatThrownBy(() -> options(1, 1, 1_000, 1_000, 1_000, 1.0, 0, 1_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minTimeoutMs");
  }

  /** Verifies that a default heartbeat one above the maximum is refused. */
  @Test
  void aDefaultHeartbeatAboveTheMaximumIsRefused() {
    assertThatThrownBy(() -> options(1, 1, 2_001, 1_000, 2_000, 1.0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultHeartbeatMs");
  }

  /** Options with every field named, so each test states all eight bounds it exercises. */
  private static TableOptions options(
      int tickMs,
      int maxEvictionsPerTick,
      int defaultHeartbeatMs,
      int minHeartbeatMs,
      int maxHeartbeatMs,
      double timeoutMultiplier,
      int minTimeoutMs,
      int maxTimeoutMs) {
    return TableOptions.builder()
        .tickMs(tickMs)
        .maxEvictionsPerTick(maxEvictionsPerTick)
        .defaultHeartbeatMs(defaultHeartbeatMs)
        .minHeartbeatMs(minHeartbeatMs)
        .maxHeartbeatMs(maxHeartbeatMs)
        .timeoutMultiplier(timeoutMultiplier)
        .minTimeoutMs(minTimeoutMs)
        .maxTimeoutMs(maxTimeoutMs)
        .build();
  }
}

package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Verifies the liveness terms' own rule: zero means none, negative is refused. */
class LivenessTest {

  /** Verifies that zero is accepted for either term (no heartbeat, no deadline). */
  @Test
  void zeroMeansNoneAndIsAccepted() {
    assertThat(new Liveness(0, 1_500).heartbeatMs()).isZero();
    assertThat(new Liveness(1_000, 0).timeoutMs()).isZero();
  }

  /** Verifies that a negative heartbeat or timeout is refused. */
  @Test
  void negativeTermsAreRefused() {
    assertThatThrownBy(() -> new Liveness(-1, 1_500)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Liveness(1_000, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}

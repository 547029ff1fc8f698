package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Verifies which close reasons the broker owes the device an explanation for. */
class CloseReasonTest {

  /** Verifies that exactly timeout, takeover, kick and shutdown are the broker's doing. */
  @Test
  void theBrokerEndsSessionsOnTimeoutTakeoverKickAndShutdownOnly() {
    assertThat(Arrays.stream(CloseReason.values()).filter(CloseReason::byBroker))
        .containsExactlyInAnyOrder(
            CloseReason.TIMEOUT, CloseReason.TAKEN_OVER, CloseReason.KICKED, CloseReason.SHUTDOWN);
  }
}

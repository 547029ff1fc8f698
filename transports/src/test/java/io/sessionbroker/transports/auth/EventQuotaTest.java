package io.sessionbroker.transports.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies the rate limit of failed-credential events, with a told time. */
class EventQuotaTest {

  @Test
  void beyondTheQuotaEventsAreHeldBackCountedAndTheNextOneLetThroughSaysHowMany() {
    EventQuota quota = new EventQuota(2);

    assertThat(quota.admit(10_000)).isZero();
    assertThat(quota.admit(10_100)).isZero();
    assertThat(quota.admit(10_200)).as("third in the window").isEqualTo(-1);
    assertThat(quota.admit(10_999)).isEqualTo(-1);
    assertThat(quota.suppressed()).isEqualTo(2);

    assertThat(quota.admit(11_000)).as("a new window: two were held back").isEqualTo(2);
    assertThat(quota.admit(11_001)).isZero();
    assertThat(quota.suppressed()).isEqualTo(2);
  }

  @Test
  void aQuotaOfZeroLetsNothingThrough() {
    EventQuota quota = new EventQuota(0);

    assertThat(quota.admit(0)).isEqualTo(-1);
    assertThat(quota.admit(5_000)).isEqualTo(-1);
    assertThat(quota.suppressed()).isEqualTo(2);
  }
}

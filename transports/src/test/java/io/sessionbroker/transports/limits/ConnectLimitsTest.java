package io.sessionbroker.transports.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.limits.ConnectLimits.Refusal;
import org.junit.jupiter.api.Test;

/**
 * Verifies the connect limits told the time: the buckets' burst and refill, per address and in all,
 * the open connections per address, what is forgotten, and the rate of refusal log lines.
 */
class ConnectLimitsTest {

  private static final long MS = 1_000_000L;
  private static final long START = 5_000 * MS;

  private static ConnectLimits limits(int perSecond, int perAddressPerSecond, int maxPerAddress) {
    return new ConnectLimits(
        new LimitsOptions(perSecond, perAddressPerSecond, maxPerAddress, 0, 1, 1), START);
  }

  /** Verifies that an address gets a burst of one second's worth, then one connect per 1/rate. */
  @Test
  void anAddressGetsABurstOfOneSecondsWorthThenOnePerInterval() {
    // given 4 per second per address
    ConnectLimits limits = limits(0, 4, 0);

    // when five connects come at once
    for (int i = 0; i < 4; i++) {
      assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    }
    // then the fifth is refused, another address is not
    assertThat(limits.admit("10.0.0.1", true, START)).isEqualTo(Refusal.ADDRESS_RATE);
    assertThat(limits.admit("10.0.0.2", true, START)).isNull();
    // and a token comes back every 250 ms
    assertThat(limits.admit("10.0.0.1", true, START + 249 * MS)).isEqualTo(Refusal.ADDRESS_RATE);
    assertThat(limits.admit("10.0.0.1", true, START + 250 * MS)).isNull();
    assertThat(limits.admit("10.0.0.1", true, START + 251 * MS)).isEqualTo(Refusal.ADDRESS_RATE);
    assertThat(limits.refused(Refusal.ADDRESS_RATE)).isEqualTo(3);
  }

  /** Verifies that the overall rate counts every address together. */
  @Test
  void theOverallRateCountsEveryAddress() {
    ConnectLimits limits = limits(3, 0, 0);

    assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    assertThat(limits.admit("10.0.0.2", false, START)).isNull();
    assertThat(limits.admit("10.0.0.3", true, START)).isNull();
    assertThat(limits.admit("10.0.0.4", true, START)).isEqualTo(Refusal.RATE);
    assertThat(limits.admit("10.0.0.4", true, START + 334 * MS)).isNull();
    assertThat(limits.refused(Refusal.RATE)).isEqualTo(1);
  }

  /** Verifies that open connections per address are capped and a closed one frees its slot. */
  @Test
  void openConnectionsPerAddressAreCappedUntilOneIsReleased() {
    ConnectLimits limits = limits(0, 0, 2);

    assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    assertThat(limits.admit("10.0.0.1", true, START)).isEqualTo(Refusal.ADDRESS_CONNECTIONS);
    // a UDP hello holds nothing: not capped
    assertThat(limits.admit("10.0.0.1", false, START)).isNull();

    limits.released("10.0.0.1");

    assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    assertThat(limits.admit("10.0.0.1", true, START)).isEqualTo(Refusal.ADDRESS_CONNECTIONS);
  }

  /** Verifies that a refused connect does not take a slot or a token from the overall bucket. */
  @Test
  void aRefusedConnectTakesNothing() {
    ConnectLimits limits = limits(2, 1, 0);

    assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    assertThat(limits.admit("10.0.0.1", true, START)).isEqualTo(Refusal.ADDRESS_RATE);
    assertThat(limits.admit("10.0.0.2", true, START)).isNull();
  }

  /**
   * Verifies that an address whose bucket is full again and holds no connection is forgotten, and
   * one that holds a connection is not.
   */
  @Test
  void idleAddressesAreForgotten() {
    ConnectLimits limits = limits(0, 10, 5);
    limits.admit("10.0.0.1", true, START);
    limits.admit("10.0.0.2", true, START);
    limits.released("10.0.0.2");
    assertThat(limits.trackedAddresses()).isEqualTo(2);

    limits.admit("10.0.0.3", false, START + 2_000 * MS);

    assertThat(limits.trackedAddresses()).isEqualTo(2); // 10.0.0.1 (holds one), 10.0.0.3
  }

  /** Verifies that every limit at 0 is off. */
  @Test
  void zeroIsOff() {
    ConnectLimits limits = limits(0, 0, 0);
    assertThat(limits.enabled()).isFalse();
    for (int i = 0; i < 10_000; i++) {
      assertThat(limits.admit("10.0.0.1", true, START)).isNull();
    }
    assertThat(limits.trackedAddresses()).isZero();
  }

  /** Verifies that refusals are logged at most once a second, saying how many the line covers. */
  @Test
  void refusalsAreLoggedAtMostOnceASecond() {
    ConnectLimits limits = limits(1, 0, 0);
    limits.admit("10.0.0.1", true, START);
    limits.admit("10.0.0.1", true, START);
    assertThat(limits.logNow(START)).isEqualTo(1);
    limits.admit("10.0.0.1", true, START + 10 * MS);
    limits.admit("10.0.0.1", true, START + 20 * MS);
    assertThat(limits.logNow(START + 20 * MS)).isEqualTo(-1);
    assertThat(limits.logNow(START + 1_000 * MS)).isEqualTo(2);
  }
}

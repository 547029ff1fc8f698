package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies which time a close's {@code polled} stamp takes ({@link Worker#polledStamp}). */
class PolledStampTest {

  /**
   * A connection's close read while a poll's keys are handled is stamped with that poll's return.
   */
  @Test
  void aConnectionsCloseTakesThePollsTime() {
    assertThat(Worker.polledStamp(Transport.TCP, 1_000, 1_500)).isEqualTo(1_000);
    assertThat(Worker.polledStamp(Transport.WEBSOCKET, 1_000, 1_500)).isEqualTo(1_000);
  }

  /**
   * A UDP {@code bye} drained from a shared socket may have arrived after the poll returned: it
   * keeps the time it was read, never an earlier one.
   */
  @Test
  void aUdpCloseKeepsTheTimeItWasRead() {
    assertThat(Worker.polledStamp(Transport.UDP, 1_000, 1_500)).isEqualTo(1_500);
  }

  /** Outside a poll's handling (0) every close keeps the time it was read. */
  @Test
  void outsideAPollEveryCloseKeepsItsReadTime() {
    assertThat(Worker.polledStamp(Transport.MQTT, 0, 1_500)).isEqualTo(1_500);
  }
}

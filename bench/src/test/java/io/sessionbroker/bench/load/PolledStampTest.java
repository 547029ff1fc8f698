package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies which times a close is stamped with ({@link Device#stampClose}). */
class PolledStampTest {

  /**
   * A connection's close read while a poll's keys are handled is stamped with that poll's return.
   */
  @Test
  void aConnectionsCloseTakesThePollsTime() {
    assertThat(closed(Transport.TCP, 1_500, 1_000).closedPolledNanos).isEqualTo(1_000);
    assertThat(closed(Transport.WEBSOCKET, 1_500, 1_000).closedPolledNanos).isEqualTo(1_000);
  }

  /**
   * A UDP {@code bye} drained from a shared socket may have arrived after the poll returned: it
   * keeps the time it was read, never an earlier one.
   */
  @Test
  void aUdpCloseKeepsTheTimeItWasRead() {
    Device udp = closed(Transport.UDP, 1_500, 1_000);
    assertThat(udp.closedPolledNanos).isEqualTo(1_500);
    assertThat(udp.closedNanos).isEqualTo(1_500);
  }

  /** Outside a poll's handling (0) every close keeps the time it was read. */
  @Test
  void outsideAPollEveryCloseKeepsItsReadTime() {
    assertThat(closed(Transport.MQTT, 1_500, 0).closedPolledNanos).isEqualTo(1_500);
  }

  private static Device closed(Transport transport, long now, long polledNanos) {
    Device d = new Device(0, "d-0", transport, true);
    d.stampClose(now, polledNanos);
    return d;
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the running broker evicts on its configured tick, as a device sees its sessions
 * end.
 */
@Timeout(60)
class EvictionTickIT {

  private static final int DEVICES = 24;

  /**
   * Verifies that the running broker ticks at {@code table.tickMs}: two dozen silent sessions,
   * whose deadlines fall at random points between ticks, are each evicted between their deadline
   * and a tick later — so the median lateness in the broker's own clock is within two ticks. A
   * median over many, and twice the tick, so one session held back by a loaded machine does not
   * fail it; a ticker running several times slower than configured does (each session then waits up
   * to that many ticks).
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void evictsSilentSessionsWithinATickOfTheirDeadline() throws Exception {
    try (BrokerHarness harness = BrokerHarness.start()) {
      long tickMs = harness.broker.config().table().tickMs();
      List<TcpDevice> devices = new ArrayList<>();
      try {
        // given: sessions opened one after another, so their last heartbeats land at unrelated
        // phases of the tick
        for (int i = 0; i < DEVICES; i++) {
          TcpDevice device = harness.tcpDevice();
          devices.add(device);
          device.hello("tick-" + i, 0.1);
          device.send(new JsonObject().put("type", "ping"));
        }

        // when: they stay silent until evicted
        List<Long> lateness = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
          JsonObject closed = harness.await(Addresses.CLOSED, "tick-" + i);
          assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
          lateness.add(
              closed.getLong("at") - closed.getLong("lastSeenAt") - closed.getLong("timeoutMs"));
        }

        // then
        Collections.sort(lateness);
        assertThat(lateness.get(0)).as("never early: %s", lateness).isGreaterThanOrEqualTo(0);
        assertThat(lateness.get(DEVICES / 2))
            .as("median lateness (ms) of %s", lateness)
            .isLessThanOrEqualTo(2 * tickMs);
      } finally {
        for (TcpDevice device : devices) {
          device.close();
        }
      }
    }
  }
}

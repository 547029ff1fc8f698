package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the rehearsal of a mass expiry before a node is ready ({@code node.warmupCloses},
 * {@link Warmup}) runs its closes to the end and leaves nothing of them in the node: no session in
 * its table, no event in its event log or on its bridge.
 */
@Timeout(60)
class WarmupIT {

  /**
   * Verifies that a broker started with {@code node.warmupCloses=1000} rehearsed 1,000 expiries
   * (two rounds of 500 devices expiring at once) and 1,000 {@code NODE_LOST} closes, each counted
   * as its event reached the rehearsal's own subscriber, and that afterwards the node's table holds
   * only the one device this test connects, its event log holds only that device's opened event
   * (sequence number 0: nothing was appended before it), and its bridge delivers that event first.
   */
  @Test
  void rehearsesItsClosesAndLeavesTheNodeUntouched() throws Exception {
    // given: a node that rehearsed 1,000 closes before it was ready
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("node")
                    .put("warmupCloses", 1_000)
                    .put("warmupMaxMs", 60_000))) { // room for a loaded machine

      assertThat(harness.broker.warmup().closes()).isEqualTo(1_000);
      assertThat(harness.broker.warmup().nodeLostCloses()).isEqualTo(1_000);
      assertThat(harness.broker.warmup().nodeLostCloses()).isEqualTo(1_000);

      // when: the first real device says hello
      try (TcpDevice device = harness.tcpDevice()) {
        device.hello("warmup-it-device", 30);
        JsonObject opened = harness.await(Addresses.OPENED, "warmup-it-device");

        // then: the node's first event is this one, and its table holds this session alone
        assertThat(opened.getLong("seq")).isZero();
        JsonObject log =
            harness.request(Addresses.ADMIN_EVENTS, new JsonObject().put("fromSeq", 0));
        assertThat(log.getJsonArray("events")).hasSize(1);
        assertThat(
                log.getJsonArray("events")
                    .getJsonObject(0)
                    .getJsonObject("body")
                    .getString("deviceId"))
            .isEqualTo("warmup-it-device");
        JsonObject count = harness.request(Addresses.ADMIN_COUNT, new JsonObject());
        assertThat(count.getInteger("total")).as("%s", count).isEqualTo(1);
      }
    }
  }
}

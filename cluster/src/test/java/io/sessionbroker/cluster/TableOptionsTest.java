package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies heartbeat negotiation (timeout = heartbeat × multiplier, clamped) and option validation.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TableOptionsTest {

  private final TableOptions defaults = TableOptions.defaults();

  @Test
  void aDeviceAskingForNothingGetsTheDefaultHeartbeatAndOneAndAHalfTimesItAsTimeout() {
    assertThat(defaults.negotiate(-1)).isEqualTo(new Liveness(30_000, 45_000));
  }

  @Test
  void heartbeatZeroMeansNoDeadline() {
    assertThat(defaults.negotiate(0)).isEqualTo(Liveness.NONE);
  }

  @Test
  void aRequestedHeartbeatIsGrantedWithinBounds() {
    assertThat(defaults.negotiate(20_000)).isEqualTo(new Liveness(20_000, 30_000));
  }

  @Test
  void tooShortAndTooLongHeartbeatsAreClamped() {
    assertThat(defaults.negotiate(10)).isEqualTo(new Liveness(1_000, 1_500));
    assertThat(defaults.negotiate(86_400_000L)).isEqualTo(new Liveness(300_000, 450_000));
  }

  @Test
  void theTimeoutIsClampedToItsOwnBounds() {
    // given: timeouts between 5 s and 20 s whatever the heartbeat
    TableOptions options =
        TableOptions.builder()
            .minHeartbeatMs(1_000)
            .minTimeoutMs(5_000)
            .maxTimeoutMs(20_000)
            .build();

    // when / then
    assertThat(options.negotiate(1_000)).isEqualTo(new Liveness(1_000, 5_000));
    assertThat(options.negotiate(60_000)).isEqualTo(new Liveness(60_000, 20_000));
  }

  @Test
  void missingJsonKeysTakeTheirDefaultsAndJsonRoundTrips() {
    // given
    TableOptions options =
        TableOptions.fromJson(new JsonObject().put("tickMs", 25).put("timeoutMultiplier", 2.0));

    // when / then
    assertThat(options.tickMs()).isEqualTo(25);
    assertThat(options.timeoutMultiplier()).isEqualTo(2.0);
    assertThat(options.maxEvictionsPerTick())
        .isEqualTo(TableOptions.DEFAULT_MAX_EVICTIONS_PER_TICK);
    assertThat(TableOptions.fromJson(options.toJson())).isEqualTo(options);
  }

  @Test
  void theDefaultsLetAThousandSimultaneousExpiriesOutWithinFiftyMilliseconds() {
    int ticks = (1_000 + defaults.maxEvictionsPerTick() - 1) / defaults.maxEvictionsPerTick();
    assertThat(ticks * defaults.tickMs()).isLessThanOrEqualTo(50);
    assertThat(defaults.tickMs()).isLessThanOrEqualTo(25);
  }

  @Test
  void invalidOptionsAreRefused() {
    assertInvalid(new JsonObject().put("tickMs", 0), "tickMs");
    assertInvalid(new JsonObject().put("maxEvictionsPerTick", 0), "maxEvictionsPerTick");
    assertInvalid(new JsonObject().put("minHeartbeatMs", -1), "minHeartbeatMs");
    assertInvalid(
        new JsonObject().put("minHeartbeatMs", 5_000).put("maxHeartbeatMs", 4_000),
        "maxHeartbeatMs");
    assertInvalid(new JsonObject().put("defaultHeartbeatMs", 500), "defaultHeartbeatMs");
    assertInvalid(
        new JsonObject().put("minTimeoutMs", 10_000).put("maxTimeoutMs", 5_000), "maxTimeoutMs");
    assertInvalid(new JsonObject().put("timeoutMultiplier", 0.9), "timeoutMultiplier");
    assertInvalid(new JsonObject().put("timeoutMultiplier", Double.NaN), "timeoutMultiplier");
  }

  private static void assertInvalid(JsonObject json, String field) {
    assertThatThrownBy(() -> TableOptions.fromJson(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(field);
  }
}

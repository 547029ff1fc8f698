package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StormTest {

  /**
   * Verifies that a storm run in several processes reads from the first process's cut to the last
   * process's last welcome, with the counts summed: the figure is the fleet's, not one process's.
   */
  @Test
  void mergedStormRunsFromTheFirstCutToTheLastWelcome() {
    // given two workers: one cut a device at 1,000 ms, back at 1,800; the other cut two at 1,005,
    // one back at 2,500, the other failed to reconnect
    Device a = new Device(0, "s-0", Transport.TCP, false);
    Device b = new Device(1, "s-1", Transport.MQTT, false);
    Device c = new Device(2, "s-2", Transport.WEBSOCKET, false);
    Storm first = new Storm(List.of(a), 1_000);
    first.welcomed(1_800);
    a.state = Device.State.OPEN;
    Storm second = new Storm(List.of(b, c), 1_005);
    second.welcomed(2_500);
    b.state = Device.State.OPEN;
    c.state = Device.State.FAILED;

    // when
    JsonObject merged =
        Report.mergeStorm(
            List.of(
                new JsonObject().put("storm", first.toJson(null)),
                new JsonObject().put("storm", second.toJson(null))));

    // then
    assertThat(merged.getLong("cut")).isEqualTo(3);
    assertThat(merged.getLong("welcomed")).isEqualTo(2);
    assertThat(merged.getLong("notBack")).isEqualTo(1);
    assertThat(merged.getDouble("lastWelcomeS")).isEqualTo(1.5);
  }
}

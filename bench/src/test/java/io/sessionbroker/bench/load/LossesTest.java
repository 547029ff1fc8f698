package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verifies how a session lost while its device was heartbeating is classified: the broker's {@code
 * TIMEOUT} is due when the device sent nothing for its timeout before the close, wrongful when it
 * sent a heartbeat within it.
 */
class LossesTest {

  private static Device device(String id, double... sentWallMs) {
    Device d = new Device(0, id, Transport.TCP, false);
    for (double t : sentWallMs) {
      Losses.sent(d, t);
    }
    d.lost = true;
    return d;
  }

  private static JsonObject timeout(long at) {
    return new JsonObject().put("reason", "TIMEOUT").put("at", at).put("timeoutMs", 3_000L);
  }

  /**
   * Verifies the classification: given a device whose last heartbeat before the close was 3.5 s
   * earlier, one whose last was 2.5 s earlier (and one sent after the close, which does not count),
   * and one closed for another reason, when classified, then one is the generator's lateness, one a
   * heartbeat not counted 500 ms before the device's deadline, and the reasons are tallied.
   */
  @Test
  void aTimeoutIsTheGeneratorsWhenNothingWasSentForTheTimeoutAndTheBrokersOtherwise() {
    Device late = device("late", 1_000.4, 3_000.2);
    Device early = device("early", 1_000.4, 3_000.2, 5_600.0);
    Device kicked = device("kicked", 1_000.0);
    Map<String, JsonObject> closes =
        Map.of(
            "late", timeout(6_500),
            "early", timeout(5_500),
            "kicked", new JsonObject().put("reason", "KICKED").put("at", 2_000L));

    JsonObject losses = Losses.of(List.of(late, early, kicked), closes::get);

    assertThat(losses.getLong("lost")).isEqualTo(3);
    assertThat(losses.getLong("generatorLate")).isEqualTo(1);
    assertThat(losses.getLong("heartbeatNotCounted")).isEqualTo(1);
    assertThat(losses.getDouble("heartbeatNotCountedWorstMs")).isEqualTo(500.0);
    assertThat(losses.getJsonObject("closeReasons").getMap())
        .containsEntry("TIMEOUT", 2)
        .containsEntry("KICKED", 1);
  }

  /**
   * Verifies that only the last {@link Losses#KEPT} sends are kept and that the latest one at or
   * before a time is found among them.
   */
  @Test
  void theLastSendBeforeATimeIsFoundAmongTheKeptOnes() {
    Device d = device("d", 1_000, 2_000, 3_000, 4_000, 5_000, 6_000);

    assertThat(Losses.lastSentBefore(d, 4_500)).isEqualTo(4_000.0);
    assertThat(Losses.lastSentBefore(d, 10_000)).isEqualTo(6_000.0);
    assertThat(Losses.lastSentBefore(d, 2_500)).isNaN(); // 1,000 and 2,000 are no longer kept
  }

  /** Verifies that the workers' losses merge into one: counts summed, the worst kept. */
  @Test
  void workersLossesMergeIntoOne() {
    JsonObject a =
        new JsonObject()
            .put(
                "losses",
                Losses.of(List.of(device("x", 1_000)), id -> timeout(2_500))); // not counted
    JsonObject b =
        new JsonObject()
            .put("losses", Losses.of(List.of(device("y", 1_000)), id -> timeout(4_500))); // late

    JsonObject merged = Losses.merge(List.of(a, b));

    assertThat(merged.getLong("lost")).isEqualTo(2);
    assertThat(merged.getLong("generatorLate")).isEqualTo(1);
    assertThat(merged.getLong("heartbeatNotCounted")).isEqualTo(1);
    assertThat(merged.getDouble("heartbeatNotCountedWorstMs")).isEqualTo(1_500.0);
    assertThat(Losses.text(merged)).contains("lost while active 2");
  }
}

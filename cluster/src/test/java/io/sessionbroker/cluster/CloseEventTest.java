package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies that both kinds of close event — a node's own and a survivor's NODE_LOST — share one
 * schema.
 */
class CloseEventTest {

  private static final List<String> FIELDS =
      List.of(
          "deviceId",
          "sessionId",
          "transport",
          "node",
          "remote",
          "epoch",
          "at",
          "reason",
          "connectedAt",
          "lastSeenAt",
          "durationMs",
          "timeoutMs",
          "status");

  /**
   * Verifies that a node's own close carries the documented fields (docs/events.md), in their
   * order.
   */
  @Test
  void aNodesOwnCloseHasEveryDocumentedFieldInOrder() {
    // given
    Tables t = new Tables();
    Session session = t.open("close-1", "tcp", 1_000);
    t.clock.advance(400);

    // when
    JsonObject json =
        CloseEvent.of(session, "node-a", CloseReason.KICKED, t.clock.millis()).toJson();

    // then
    assertThat(List.copyOf(json.fieldNames())).isEqualTo(FIELDS);
    assertThat(json.getString("sessionId")).isEqualTo(session.sessionId());
    assertThat(json.getString(CloseEvent.REASON)).isEqualTo("KICKED");
    assertThat(json.getLong("durationMs")).isEqualTo(400);
    assertThat(json.getLong("lastSeenAt")).isEqualTo(session.connectedAt());
  }

  /**
   * Verifies that a survivor's NODE_LOST close has the same fields in the same order, then {@code
   * announcedBy} and the will; what never left the dead node (last heartbeat, status) is null, and
   * so is the duration of a session whose claim carried no details.
   */
  @Test
  void aSurvivorsNodeLostCloseHasTheSameFieldsThenAnnouncedBy() {
    // given
    JsonObject will = new JsonObject().put("topic", "t/1").put("payloadBase64", "AA==");

    // when
    JsonObject detailed =
        CloseEvent.nodeLost("close-2", 0x1234L, "node-dead", "node-b", 10_000)
            .transport("mqtt")
            .remote("127.0.0.1:5000")
            .epoch(3)
            .connectedAt(9_000)
            .timeoutMs(1_500)
            .will(will)
            .toJson();
    JsonObject idsOnly =
        CloseEvent.nodeLost("close-3", 0x1235L, "node-dead", "node-b", 10_000)
            .connectedAt(0)
            .toJson();

    // then
    List<String> expected = new ArrayList<>(FIELDS);
    expected.add(CloseEvent.ANNOUNCED_BY);
    assertThat(List.copyOf(idsOnly.fieldNames())).isEqualTo(expected);
    expected.add(CloseEvent.WILL);
    assertThat(List.copyOf(detailed.fieldNames())).isEqualTo(expected);
    assertThat(detailed.getString(CloseEvent.REASON)).isEqualTo("NODE_LOST");
    assertThat(detailed.getString("node")).isEqualTo("node-dead");
    assertThat(detailed.getString(CloseEvent.ANNOUNCED_BY)).isEqualTo("node-b");
    assertThat(detailed.getLong("durationMs")).isEqualTo(1_000);
    assertThat(detailed.getValue("lastSeenAt")).isNull();
    assertThat(detailed.getValue("status")).isNull();
    assertThat(detailed.getJsonObject(CloseEvent.WILL)).isEqualTo(will);
    assertThat(idsOnly.getValue("durationMs")).isNull();
  }
}

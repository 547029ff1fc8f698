package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Verifies the JSON of the session events that docs/events.md documents, field by field. */
class SessionJsonTest {

  private static final long OPENED_AT = 1_000_000;

  private static Session session(JsonObject will) {
    Session session =
        new Session(
            0x1234L,
            new OpenRequest("json-1", "mqtt", "10.0.0.1:5000", 1_000, will, (s, r) -> {}),
            new Liveness(1_000, 1_500),
            OPENED_AT);
    session.state(Session.State.OPEN);
    session.epoch(3);
    return session;
  }

  /**
   * Verifies that a close event carries the reason, the times, the duration and the will the
   * session had.
   */
  @Test
  void aCloseCarriesReasonTimesDurationAndWill() {
    // given
    JsonObject will = new JsonObject().put("topic", "t/will").put("payload", "gone");
    Session session = session(will);
    session.touch(OPENED_AT + 400);

    // when
    JsonObject closed =
        CloseEvent.of(session, "node-a", CloseReason.TIMEOUT, OPENED_AT + 2_000).toJson();

    // then
    assertThat(closed.getString("deviceId")).isEqualTo("json-1");
    assertThat(closed.getString("sessionId")).isEqualTo("0000000000001234");
    assertThat(closed.getString("transport")).isEqualTo("mqtt");
    assertThat(closed.getString("node")).isEqualTo("node-a");
    assertThat(closed.getString("remote")).isEqualTo("10.0.0.1:5000");
    assertThat(closed.getLong("epoch")).isEqualTo(3);
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getLong("at")).isEqualTo(OPENED_AT + 2_000);
    assertThat(closed.getLong("connectedAt")).isEqualTo(OPENED_AT);
    assertThat(closed.getLong("lastSeenAt")).isEqualTo(OPENED_AT + 400);
    assertThat(closed.getLong("durationMs")).isEqualTo(2_000);
    assertThat(closed.getInteger("timeoutMs")).isEqualTo(1_500);
    assertThat(closed.getJsonObject("will")).isEqualTo(will);
    assertThat(session).hasToString("Session[0000000000001234 json-1 mqtt OPEN]");
  }

  /** Verifies that a close event of a session without a will has no will field at all. */
  @Test
  void aCloseWithoutAWillHasNoWillField() {
    JsonObject closed =
        CloseEvent.of(session(null), "node-a", CloseReason.CLIENT_CLOSED, OPENED_AT + 1).toJson();

    assertThat(closed.containsKey("will")).isFalse();
  }

  /**
   * Verifies that a rejection event names the transport, address, code and message, and no session.
   */
  @Test
  void aRejectionCarriesWhoWhereAndWhy() {
    JsonObject rejected =
        SessionJson.rejected(
            new Rejection("tcp", "10.0.0.2:6000", "json-2", "auth_failed", "bad token"),
            "node-a",
            OPENED_AT);

    assertThat(rejected)
        .isEqualTo(
            new JsonObject()
                .put("deviceId", "json-2")
                .put("transport", "tcp")
                .put("node", "node-a")
                .put("remote", "10.0.0.2:6000")
                .put("at", OPENED_AT)
                .put("code", "auth_failed")
                .put("message", "bad token"));
  }

  /** Verifies that inbound traffic carries its topic when it has one, and its payload. */
  @Test
  void inboundTrafficCarriesItsTopicOnlyWhenItHasOne() {
    Session session = session(null);

    JsonObject withTopic = SessionJson.inbound(session, "node-a", "t/up", 42, OPENED_AT);
    JsonObject withoutTopic = SessionJson.inbound(session, "node-a", null, "x", OPENED_AT);

    assertThat(withTopic.getString("topic")).isEqualTo("t/up");
    assertThat(withTopic.getValue("payload")).isEqualTo(42);
    assertThat(withTopic.getString("sessionId")).isEqualTo("0000000000001234");
    assertThat(withoutTopic.containsKey("topic")).isFalse();
    assertThat(withoutTopic.getValue("payload")).isEqualTo("x");
  }
}

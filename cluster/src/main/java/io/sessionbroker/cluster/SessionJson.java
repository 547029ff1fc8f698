package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/** The JSON shapes of sessions and session events: a public contract, documented in {@code docs/events.md}. */
public final class SessionJson {

  private SessionJson() {}

  /** A live session as {@code sessions.admin.get} and {@code list} show it. */
  public static JsonObject describe(Session session, String nodeId) {
    return base(session, nodeId)
        .put("connectedAt", session.connectedAt())
        .put("lastSeenAt", session.lastSeenAt())
        .put("heartbeatMs", session.heartbeatMs())
        .put("timeoutMs", session.timeoutMs())
        .put("status", session.status());
  }

  public static JsonObject opened(Session session, String nodeId, long at) {
    return base(session, nodeId)
        .put("at", at)
        .put("heartbeatMs", session.heartbeatMs())
        .put("timeoutMs", session.timeoutMs());
  }

  public static JsonObject closed(Session session, String nodeId, CloseReason reason, long at) {
    JsonObject json = base(session, nodeId)
        .put("at", at)
        .put("reason", reason.name())
        .put("connectedAt", session.connectedAt())
        .put("lastSeenAt", session.lastSeenAt())
        .put("durationMs", at - session.connectedAt())
        .put("timeoutMs", session.timeoutMs())
        .put("status", session.status());
    if (session.will() != null) {
      json.put("will", session.will());
    }
    return json;
  }

  public static JsonObject rejected(Rejection rejection, String nodeId, long at) {
    return new JsonObject()
        .put("deviceId", rejection.deviceId())
        .put("transport", rejection.transport())
        .put("node", nodeId)
        .put("remote", rejection.remote())
        .put("at", at)
        .put("code", rejection.code())
        .put("message", rejection.message());
  }

  public static JsonObject inbound(Session session, String nodeId, String topic, Object payload, long at) {
    JsonObject json = new JsonObject()
        .put("deviceId", session.deviceId())
        .put("sessionId", session.sessionId())
        .put("transport", session.transport())
        .put("node", nodeId)
        .put("at", at);
    if (topic != null) {
      json.put("topic", topic);
    }
    return json.put("payload", payload);
  }

  private static JsonObject base(Session session, String nodeId) {
    return new JsonObject()
        .put("deviceId", session.deviceId())
        .put("sessionId", session.sessionId())
        .put("transport", session.transport())
        .put("node", nodeId)
        .put("remote", session.remote())
        .put("epoch", session.epoch());
  }
}

package io.sessionbroker.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON shapes of sessions and session events: a public contract, documented in {@code
 * docs/events.md}. The close event has a class of its own, {@link CloseEvent}, since a survivor of
 * a lost node builds it too.
 */
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

  public static JsonObject inbound(
      Session session, String nodeId, String topic, Object payload, long at) {
    JsonObject json =
        new JsonObject()
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

  /** A page of {@code sessions}, oldest first, optionally of one transport only. */
  static JsonObject page(
      Iterable<Session> sessions, String transport, int offset, int limit, String nodeId) {
    List<Session> matching = new ArrayList<>();
    for (Session session : sessions) {
      if (transport == null || transport.equals(session.transport())) {
        matching.add(session);
      }
    }
    matching.sort(Comparator.comparingLong(Session::connectedAt).thenComparingLong(Session::id));
    JsonArray page = new JsonArray();
    for (int i = Math.max(0, offset); i < matching.size() && page.size() < limit; i++) {
      page.add(describe(matching.get(i), nodeId));
    }
    return new JsonObject()
        .put("total", matching.size())
        .put("offset", offset)
        .put("sessions", page);
  }

  /** How many {@code sessions} there are, in all and by transport. */
  static JsonObject count(Iterable<Session> sessions) {
    Map<String, Integer> byTransport = new TreeMap<>();
    int total = 0;
    for (Session session : sessions) {
      byTransport.merge(session.transport(), 1, Integer::sum);
      total++;
    }
    JsonObject counts = new JsonObject();
    byTransport.forEach(counts::put);
    return new JsonObject().put("total", total).put("byTransport", counts);
  }

  private static JsonObject base(Session session, String nodeId) {
    return identity(
        session.deviceId(),
        session.sessionId(),
        session.transport(),
        nodeId,
        session.remote(),
        session.epoch());
  }

  /**
   * The fields that open every session event and description, in this order; {@link CloseEvent}
   * uses it too.
   */
  static JsonObject identity(
      String deviceId,
      String sessionId,
      String transport,
      String nodeId,
      String remote,
      long epoch) {
    return new JsonObject()
        .put("deviceId", deviceId)
        .put("sessionId", sessionId)
        .put("transport", transport)
        .put("node", nodeId)
        .put("remote", remote)
        .put("epoch", epoch);
  }
}

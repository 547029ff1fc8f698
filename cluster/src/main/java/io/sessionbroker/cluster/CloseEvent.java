package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * The one schema of a {@code sessions.closed} event (docs/events.md) and its one builder.
 *
 * <p>Two places announce closes: the table that held the session ({@link #of}), which knows
 * everything about it, and — clustered — a survivor announcing the sessions of a node that died
 * ({@link #nodeLost}), which knows only what the cluster directory kept: the last heartbeat and
 * status never left the dead node, so they are null, and the survivor names itself in {@code
 * announcedBy}. Both end in {@link #toJson}, so the fields, their names and their order are the
 * same. Consumers read the fields through the constants here.
 */
public final class CloseEvent {

  /** The field holding the {@link CloseReason}'s name. */
  public static final String REASON = "reason";

  /** {@code NODE_LOST} only: the surviving node that announced the close. */
  public static final String ANNOUNCED_BY = "announcedBy";

  /** Only when the session carries a will (MQTT). */
  public static final String WILL = "will";

  private final String deviceId;
  private final long sessionId;
  private final CloseReason reason;
  private final long at;
  private String transport;
  private String node;
  private String remote;
  private long epoch;
  private long connectedAt;
  private Long lastSeenAt;
  private Long durationMs;
  private int timeoutMs;
  private JsonObject status;
  private JsonObject will;
  private String announcedBy;

  private CloseEvent(String deviceId, long sessionId, CloseReason reason, long at) {
    this.deviceId = deviceId;
    this.sessionId = sessionId;
    this.reason = reason;
    this.at = at;
  }

  /** The close of a session this node held, at {@code at}, by this table's clock. */
  public static CloseEvent of(Session session, String nodeId, CloseReason reason, long at) {
    CloseEvent event = new CloseEvent(session.deviceId(), session.id(), reason, at);
    event.transport = session.transport();
    event.node = nodeId;
    event.remote = session.remote();
    event.epoch = session.epoch();
    event.connectedAt = session.connectedAt();
    event.lastSeenAt = session.lastSeenAt();
    event.durationMs = at - session.connectedAt();
    event.timeoutMs = session.timeoutMs();
    event.status = session.status();
    event.will = session.will();
    return event;
  }

  /**
   * The {@link CloseReason#NODE_LOST} close of a session whose node {@code nodeId} died, announced
   * by {@code announcedBy}; the directory's details about it are added with the setters below.
   */
  public static CloseEvent nodeLost(
      String deviceId, long sessionId, String nodeId, String announcedBy, long at) {
    CloseEvent event = new CloseEvent(deviceId, sessionId, CloseReason.NODE_LOST, at);
    event.node = nodeId;
    event.announcedBy = announcedBy;
    return event;
  }

  public CloseEvent transport(String transport) {
    this.transport = transport;
    return this;
  }

  public CloseEvent remote(String remote) {
    this.remote = remote;
    return this;
  }

  public CloseEvent epoch(long epoch) {
    this.epoch = epoch;
    return this;
  }

  /**
   * When the session opened; 0 = unknown (a claim that carried no details), then the duration is
   * null.
   */
  public CloseEvent connectedAt(long connectedAt) {
    this.connectedAt = connectedAt;
    this.durationMs = connectedAt == 0 ? null : at - connectedAt;
    return this;
  }

  public CloseEvent timeoutMs(int timeoutMs) {
    this.timeoutMs = timeoutMs;
    return this;
  }

  /** The session's will, or null. */
  public CloseEvent will(JsonObject will) {
    this.will = will;
    return this;
  }

  public JsonObject toJson() {
    JsonObject json =
        SessionJson.identity(deviceId, SessionIds.format(sessionId), transport, node, remote, epoch)
            .put("at", at)
            .put(REASON, reason.name())
            .put("connectedAt", connectedAt)
            .put("lastSeenAt", lastSeenAt)
            .put("durationMs", durationMs)
            .put("timeoutMs", timeoutMs)
            .put("status", status);
    if (announcedBy != null) {
      json.put(ANNOUNCED_BY, announcedBy);
    }
    if (will != null) {
      json.put(WILL, will);
    }
    return json;
  }
}

package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * One live session of one device over one transport.
 *
 * <p>Kept small on purpose: a node holds up to a million of them (UDP), and this object is 80
 * bytes. The session id is a {@code long} rendered as 16 hex digits only when shown; the timing
 * wheel links sessions through {@link #wheelNext} instead of allocating a node per entry; the
 * liveness terms are one {@link Liveness} shared by every session that negotiated the same (the
 * table interns them); the state and a pending close reason take a byte each.
 *
 * <p>Threading: {@link #touch} may be called from any thread (a transport's event loop); it stores
 * one timestamp and nothing else. Everything else is written only on the session table's thread.
 */
public final class Session {

  enum State {
    PENDING,
    OPEN,
    CLOSED
  }

  private static final State[] STATES = State.values();
  private static final CloseReason[] REASONS = CloseReason.values();

  private final long id;
  private final String deviceId;
  private final String transport;
  private final long connectedAt;
  private final Liveness liveness;
  private final Connection connection;

  private volatile long lastSeenAt;
  private volatile JsonObject status;
  private volatile String remote;
  private volatile JsonObject will;
  private volatile long epoch;

  /** The {@link State}'s ordinal. */
  private volatile byte state;

  /**
   * 1 + the ordinal of the {@link CloseReason} asked for while the claim was in flight; 0 = none.
   */
  private byte closeWhenOpen;

  /** Next session in the same timing wheel slot; owned by {@link TimingWheel}. */
  Session wheelNext;

  /** Previous session in the same slot (null: head); owned by {@link TimingWheel}. */
  Session wheelPrev;

  /** The wheel slot holding this session, -1 when none; owned by {@link TimingWheel}. */
  int wheelSlot = -1;

  Session(long id, OpenRequest request, Liveness liveness, long now) {
    this.id = id;
    this.deviceId = request.deviceId();
    this.transport = request.transport();
    this.remote = request.remote();
    this.will = request.will();
    this.connection = request.connection();
    this.liveness = liveness;
    this.connectedAt = now;
    this.lastSeenAt = now;
  }

  /** Proof of life: O(1), allocation-free, lock-free. The wheel re-checks the deadline lazily. */
  void touch(long now) {
    lastSeenAt = now;
  }

  /**
   * The first millisecond at which this session has certainly been silent for its whole timeout, or
   * {@link Long#MAX_VALUE} without a deadline. {@code lastSeenAt} is the proof of life truncated to
   * the millisecond (a heartbeat at 1,000.9 ms is stored as 1,000), so the silence is complete only
   * from {@code lastSeenAt + timeoutMs + 1} on: evicting at {@code lastSeenAt + timeoutMs} could be
   * up to a millisecond early.
   */
  long deadline() {
    int timeoutMs = liveness.timeoutMs();
    return timeoutMs == 0 ? Long.MAX_VALUE : lastSeenAt + timeoutMs + 1;
  }

  State state() {
    return STATES[state];
  }

  void state(State state) {
    this.state = (byte) state.ordinal();
  }

  /** The close asked for while the directory claim was still in flight, or null. */
  CloseReason closeWhenOpen() {
    return closeWhenOpen == 0 ? null : REASONS[closeWhenOpen - 1];
  }

  void closeWhenOpen(CloseReason reason) {
    this.closeWhenOpen = (byte) (reason.ordinal() + 1);
  }

  public long id() {
    return id;
  }

  /** The session id as shown to devices and in events: 16 lower-case hex digits. */
  public String sessionId() {
    return SessionIds.format(id);
  }

  public String deviceId() {
    return deviceId;
  }

  public String transport() {
    return transport;
  }

  public long connectedAt() {
    return connectedAt;
  }

  public long lastSeenAt() {
    return lastSeenAt;
  }

  /**
   * Granted heartbeat interval; 0 means the transport proves liveness by other means (TCP
   * keepalive).
   */
  public int heartbeatMs() {
    return liveness.heartbeatMs();
  }

  /** Silence after which the session is evicted; 0 means no deadline. */
  public int timeoutMs() {
    return liveness.timeoutMs();
  }

  public long epoch() {
    return epoch;
  }

  void epoch(long epoch) {
    this.epoch = epoch;
  }

  public JsonObject status() {
    return status;
  }

  void status(JsonObject status) {
    this.status = status;
  }

  /**
   * The device's address as {@code host:port}: the one the session was opened with or last moved
   * to, else the one its {@link Connection#remote() connection} tracks (UDP), else null.
   */
  public String remote() {
    String remote = this.remote;
    return remote != null ? remote : connection.remote();
  }

  /**
   * Moves a session to the device's new address; it then takes precedence over the connection's.
   */
  public void remote(String remote) {
    this.remote = remote;
  }

  public JsonObject will() {
    return will;
  }

  /** MQTT may replace or drop the will while the session lives (e.g. a DISCONNECT discards it). */
  public void will(JsonObject will) {
    this.will = will;
  }

  public boolean isOpen() {
    return state() == State.OPEN;
  }

  /** The transport side of this session, as the transport opened it. */
  public Connection connection() {
    return connection;
  }

  @Override
  public String toString() {
    return "Session[" + sessionId() + " " + deviceId + " " + transport + " " + state() + "]";
  }
}

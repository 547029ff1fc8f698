package io.sessionbroker.cluster;

/**
 * Why a session ended. Every opened session is closed exactly once with one of these.
 *
 * <p>A connection that never became a session is not closed but rejected; see {@link Rejection}.
 */
public enum CloseReason {
  /** The device said goodbye: {@code bye}, MQTT DISCONNECT, WebSocket close frame. */
  CLIENT_CLOSED,
  /** The socket went away without a goodbye, including a TCP keepalive failure. */
  CONNECTION_LOST,
  /** No liveness signal within the session's timeout. */
  TIMEOUT,
  /** The same device opened a newer session, on any node, over any transport. */
  TAKEN_OVER,
  /** An administrator ended the session. */
  KICKED,
  /** The node that held the session left the cluster or crashed. */
  NODE_LOST,
  /** The node that held the session is stopping. */
  SHUTDOWN,
  /** Malformed, oversized or out-of-order input after the session was open. */
  PROTOCOL_ERROR;

  /**
   * Whether the broker ended the session, so the device should be told why before its socket
   * closes.
   */
  public boolean byBroker() {
    return this == TIMEOUT || this == TAKEN_OVER || this == KICKED || this == SHUTDOWN;
  }
}

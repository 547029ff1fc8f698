package io.sessionbroker.cluster;

/**
 * The transport side of a session: how the session table reaches the device's connection.
 *
 * <p>Contract: {@link #closed} is called exactly once per opened session, on the session table's
 * thread, after the session's {@code sessions.closed} event has been published. It must not block:
 * a transport hands the work to its own event loop (Vert.x socket writes may be called from any
 * thread).
 */
@FunctionalInterface
public interface Connection {

  /**
   * The session has ended. When {@link CloseReason#byBroker()} holds, tell the device why (a {@code
   * bye} frame, an MQTT DISCONNECT, a WebSocket close code) before closing the socket; otherwise
   * just make sure the socket is closed.
   */
  void closed(Session session, CloseReason reason);

  /**
   * The device's current address as {@code host:port}, for a connection that tracks it itself
   * because it can change while the session lives (UDP behind NAT); null otherwise. {@link
   * Session#remote()} falls back to it when the session was opened without a remote address, so
   * such a session keeps no second copy of it.
   */
  default String remote() {
    return null;
  }
}

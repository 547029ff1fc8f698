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

  /**
   * Writes a command to the device ({@code {"type":"command",…}}, an MQTT PUBLISH, …). Called on
   * the table's thread; must not block (hand the write to the connection's event loop). Also called
   * again for each resend the connection asked for ({@link #commandResendMs}).
   *
   * @return false when this connection cannot take commands (then the command fails with 503)
   */
  default boolean command(Session session, DeviceCommand command) {
    return false;
  }

  /**
   * After how long an unanswered command is written again (then twice as long, and so on until its
   * deadline), for a connection that may lose it (UDP); 0, the default: never.
   */
  default long commandResendMs() {
    return 0;
  }
}

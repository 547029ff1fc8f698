package io.sessionbroker.transports.udp;

import io.vertx.core.buffer.Buffer;

/**
 * Where a datagram came from, and the socket that read it: replies leave through the same socket.
 *
 * @param socket the socket that read the datagram
 * @param host the source address as a literal, e.g. {@code 127.0.0.1} or {@code 0:0:0:0:0:0:0:1}
 * @param port the source port
 */
record Sender(Outlet socket, String host, int port) {

  void reply(Buffer datagram) {
    socket.send(datagram, host, port);
  }

  /**
   * Replies after whatever the socket's event loop has queued already (see {@link Outlet#post}).
   */
  void post(Buffer datagram) {
    socket.post(datagram, host, port);
  }

  /** {@code host:port}, as events show it. */
  String remote() {
    return Endpoints.format(host, port);
  }
}

package io.sessionbroker.transports.udp;

import io.vertx.core.buffer.Buffer;

/** Where the transport's datagrams go out: one of its sockets. Safe to call from any thread. */
interface Outlet {

  /**
   * Sends at once when called on the socket's event loop (a reply), else as soon as the loop gets
   * to it.
   */
  void send(Buffer datagram, String host, int port);

  /**
   * Sends after everything already queued on the socket's event loop, even when called there. For
   * answers from the session table (welcomes): they then leave in the order the table produced
   * them, whichever thread runs the callback that sends them.
   */
  void post(Buffer datagram, String host, int port);
}

package io.sessionbroker.transports.udp;

import io.vertx.core.buffer.Buffer;
import java.net.InetSocketAddress;

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

  /**
   * Answers a heartbeat this socket has just read, on its event loop: the {@code pong} is written
   * at once and flushed when the socket's current batch of reads ends, so the answers to a burst
   * leave in one system call ({@code sendmmsg}) instead of one each.
   */
  void pong(InetSocketAddress to);
}

package io.sessionbroker.transports.udp;

import io.vertx.core.buffer.Buffer;

/** Where the transport's datagrams go out: one of its sockets. Safe to call from any thread. */
@FunctionalInterface
interface Outlet {

  void send(Buffer datagram, String host, int port);
}

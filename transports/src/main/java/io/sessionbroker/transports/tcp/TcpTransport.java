package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw TCP listener: JSON lines (docs/protocol.md). Each accepted socket gets kernel TCP
 * keepalive and a {@link TcpConnection} that maps its frames to the session table.
 */
public final class TcpTransport extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

  private final SessionTable table;
  private final TcpOptions options;
  private final DeviceAuth auth;
  private final AtomicInteger connections = new AtomicInteger();
  private final LongAdder heartbeats = new LongAdder();
  private long lastRefusalLog = System.nanoTime() - 1_000_000_000L;
  private long refused;
  private NetServer server;
  private KeepAlive keepAlive;

  public TcpTransport(SessionTable table, TcpOptions options, DeviceAuth auth) {
    this.table = table;
    this.options = options;
    this.auth = auth;
  }

  @Override
  public Future<?> start() {
    keepAlive = new KeepAlive(options, vertx.isNativeTransportEnabled());
    NetServerOptions serverOptions =
        keepAlive.apply(
            new NetServerOptions()
                .setHost(options.host())
                .setPort(options.port())
                .setTcpNoDelay(true));
    server = vertx.createNetServer(serverOptions).connectHandler(this::accept);
    return server
        .listen()
        .onSuccess(
            s ->
                log.info(
                    "listener_up transport={} host={} port={}",
                    TransportName.TCP,
                    options.host(),
                    s.actualPort()));
  }

  private void accept(NetSocket socket) {
    if (connections.incrementAndGet() > options.maxConnections()) {
      connections.decrementAndGet();
      refused++;
      long now = System.nanoTime();
      if (now - lastRefusalLog
          >= 1_000_000_000L) { // a connect storm must not flood the log: a line a second
        log.warn(
            "tcp_connection_refused remote={} reason=max_connections limit={} refused_since_last_line={}",
            socket.remoteAddress(),
            options.maxConnections(),
            refused);
        lastRefusalLog = now;
        refused = 0;
      }
      socket.close();
      return;
    }
    OutboundQueues.slim(((NetSocketInternal) socket).channelHandlerContext());
    keepAlive.apply(socket);
    // TcpConnection owns the socket's close handler (a socket has one): it releases the slot from
    // there.
    new TcpConnection(context, socket, table, options, auth, heartbeats)
        .start(connections::decrementAndGet);
  }

  /** The bound port, once started. */
  public int port() {
    return server.actualPort();
  }

  /** {@code ping} frames received from devices with an open session, since start. */
  public long heartbeats() {
    return heartbeats.sum();
  }

  /** Open connections, whether or not they have become sessions. */
  public int connections() {
    return connections.get();
  }
}

package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
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
 * keepalive and a {@link TcpConnection} that maps its frames to the session table. With TLS ({@link
 * ListenerTls}) a second server on the TLS port hands its sockets, once their handshake is done, to
 * the same code; the plain port may be switched off.
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
  private final ListenerTls tls;
  private NetServer server;
  private NetServer tlsServer;
  private KeepAlive keepAlive;

  public TcpTransport(SessionTable table, TcpOptions options, DeviceAuth auth) {
    this(table, options, auth, ListenerTls.NONE);
  }

  public TcpTransport(SessionTable table, TcpOptions options, DeviceAuth auth, ListenerTls tls) {
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.tls = tls;
  }

  @Override
  public Future<?> start() {
    keepAlive = new KeepAlive(options, vertx.isNativeTransportEnabled());
    Future<?> plain = Future.succeededFuture();
    if (tls.plain()) {
      server = vertx.createNetServer(serverOptions(options.port())).connectHandler(this::accept);
      plain = server.listen().onSuccess(s -> listening(s, false));
    }
    if (!tls.enabled()) {
      return plain;
    }
    tlsServer =
        vertx
            .createNetServer(tls.options().applyTo(serverOptions(tls.port())))
            .connectHandler(this::accept);
    return plain
        .compose(v -> tlsServer.listen())
        .onSuccess(
            s -> {
              listening(s, true);
              new CertificateReloader(
                      vertx, tls.options(), "tcp", o -> tlsServer.updateSSLOptions(o, true))
                  .start();
            });
  }

  private NetServerOptions serverOptions(int port) {
    return keepAlive.apply(
        new NetServerOptions().setHost(options.host()).setPort(port).setTcpNoDelay(true));
  }

  private void listening(NetServer bound, boolean secure) {
    log.info(
        "listener_up transport={} host={} port={} tls={}",
        TransportName.TCP,
        options.host(),
        bound.actualPort(),
        secure);
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
    new TcpConnection(
            context, socket, table, options, auth.forPeer(socket.sslSession()), heartbeats)
        .start(connections::decrementAndGet);
  }

  /** The bound plain-text port, once started; -1 when switched off. */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  /**
   * The listening servers, plain and TLS, once started: where {@code AcceptGate} puts the connect
   * limits.
   */
  public java.util.List<NetServer> servers() {
    return java.util.stream.Stream.of(server, tlsServer).filter(s -> s != null).toList();
  }

  /** The bound TLS port, once started; -1 when there is none. */
  public int tlsPort() {
    return tlsServer == null ? -1 : tlsServer.actualPort();
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

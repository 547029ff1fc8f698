package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.EveryEventLoop;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetServerInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.SocketAddressImpl;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
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

  /** Frees a connection's slot as its socket closes: one for all (issue 17: 16 B a session). */
  private final Runnable releaseSlot = connections::decrementAndGet;

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
      int port = EveryEventLoop.port(options.port());
      Supplier<NetServer> plainServer =
          () -> vertx.createNetServer(serverOptions(port)).connectHandler(s -> accept(s, false));
      server = plainServer.get();
      plain =
          server
              .listen()
              .compose(s -> onEveryLoop(plainServer, port))
              .onSuccess(v -> listening(server, false));
    }
    if (!tls.enabled()) {
      return plain;
    }
    int tlsPort = EveryEventLoop.port(tls.port());
    Supplier<NetServer> secureServer =
        () ->
            vertx
                .createNetServer(tls.options().applyTo(serverOptions(tlsPort)))
                .connectHandler(s -> accept(s, true));
    tlsServer = secureServer.get();
    return plain
        .compose(v -> tlsServer.listen())
        .compose(s -> onEveryLoop(secureServer, tlsPort))
        .onSuccess(
            s -> {
              listening(tlsServer, true);
              new CertificateReloader(
                      vertx, tls.options(), "tcp", o -> tlsServer.updateSSLOptions(o, true))
                  .start();
            });
  }

  /**
   * The same listener once more from each other event loop ({@link EveryEventLoop}): the servers
   * share the bound socket, and each accepted connection lives on the loop it was handed to. They
   * close with this verticle; the certificate reloader updates the first one, whose certificates
   * they all use.
   */
  private Future<Void> onEveryLoop(Supplier<NetServer> newServer, int port) {
    // As NetServer.listen(port, host) builds it: the public factory refuses the negative port that
    // EveryEventLoop.port gives for "any free port".
    SocketAddress address = new SocketAddressImpl(port, options.host());
    return EveryEventLoop.listenOnOtherLoops(
        vertx, loop -> ((NetServerInternal) newServer.get()).listen(loop, address));
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

  /**
   * On the event loop of the server that accepted it ({@link EveryEventLoop}); {@code secure}: a
   * TLS listener's, whose session may name the device by a client certificate. A plain listener's
   * socket is not asked for its TLS session: Vert.x looks for the TLS handler in the pipeline by
   * class (docs/benchmarks.md, twenty-third round).
   */
  private void accept(NetSocket socket, boolean secure) {
    if (connections.incrementAndGet() > options.maxConnections()) {
      connections.decrementAndGet();
      refused(socket);
      socket.close();
      return;
    }
    OutboundQueues.slim(((NetSocketInternal) socket).channelHandlerContext());
    keepAlive.apply(socket);
    // TcpConnection owns the socket's close handler (a socket has one): it releases the slot from
    // there.
    new TcpConnection(
            vertx.getOrCreateContext(),
            socket,
            table,
            options,
            secure ? auth.forPeer(socket.sslSession()) : auth,
            heartbeats)
        .start(releaseSlot);
  }

  /** Logs a refusal over the connection limit; synchronized: every event loop accepts. */
  private synchronized void refused(NetSocket socket) {
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

package io.sessionbroker.transports.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.EveryEventLoop;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.link.PeerAddress;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.internal.http.HttpServerInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.SocketAddressImpl;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket transport: devices and browsers behind HTTP proxies hold a session over one
 * WebSocket on {@link WsOptions#path()}, one JSON object per text frame (DESIGN §6, {@code
 * docs/protocol.md}).
 *
 * <p>The upgrade is bounded: a connection must upgrade within {@code handshakeTimeoutMs} of being
 * accepted (a client that connects and sends nothing is closed), its header block may not exceed
 * {@code maxHeaderBytes} (HTTP 431), only the configured path upgrades (HTTP 404 elsewhere, 426 for
 * a plain request on the path), and only for pages of an allowed origin (HTTP 403, {@link
 * OriginPolicy}). What happens after the upgrade is {@link WsConnection}'s job.
 *
 * <p>With TLS ({@link ListenerTls}) a second server serves {@code wss://} on the TLS port, with the
 * same handlers; the plain port may be switched off.
 *
 * <p>HTTP idle timeouts are deliberately off: the broker's pings would keep them from ever firing,
 * and eviction belongs to the session table's wheel.
 */
public final class WebSocketTransport extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

  private final SessionTable table;
  private final WsOptions options;
  private final DeviceAuth auth;
  private final OriginPolicy origins;
  private final LongAdder heartbeats = new LongAdder();

  /**
   * Connections not yet upgraded, by remote address, with their upgrade deadline timer; concurrent:
   * every event loop accepts ({@link EveryEventLoop}).
   */
  private final Map<String, Long> upgradeDeadlines = new ConcurrentHashMap<>();

  private final ListenerTls tls;
  private HttpServer server;
  private HttpServer tlsServer;

  public WebSocketTransport(SessionTable table, WsOptions options, DeviceAuth auth) {
    this(table, options, auth, ListenerTls.NONE);
  }

  public WebSocketTransport(
      SessionTable table, WsOptions options, DeviceAuth auth, ListenerTls tls) {
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.tls = tls;
    this.origins = new OriginPolicy(options.allowedOrigins());
  }

  @Override
  public Future<?> start() {
    Future<?> started = Future.succeededFuture();
    if (tls.plain()) {
      int port = EveryEventLoop.port(options.port());
      Supplier<HttpServer> plainServer =
          () -> handlers(vertx.createHttpServer(serverOptions(port)), false);
      server = plainServer.get();
      started =
          server
              .listen(address(port))
              .compose(s -> onEveryLoop(plainServer, port))
              .onSuccess(v -> listening(server, false));
    }
    if (tls.enabled()) {
      int tlsPort = EveryEventLoop.port(tls.port());
      Supplier<HttpServer> secureServer =
          () ->
              handlers(vertx.createHttpServer(tls.options().applyTo(serverOptions(tlsPort))), true);
      tlsServer = secureServer.get();
      started =
          started
              .compose(v -> tlsServer.listen(address(tlsPort)))
              .compose(s -> onEveryLoop(secureServer, tlsPort))
              .onSuccess(
                  s -> {
                    listening(tlsServer, true);
                    new CertificateReloader(
                            vertx,
                            tls.options(),
                            "websocket",
                            o -> tlsServer.updateSSLOptions(o, true))
                        .start();
                  });
    }
    return started;
  }

  /**
   * The same listener once more from each other event loop ({@link EveryEventLoop}): the servers
   * share the bound socket, and each connection lives on the loop it was handed to. They close with
   * this verticle; the certificate reloader updates the first one, whose certificates they all use.
   */
  private Future<Void> onEveryLoop(Supplier<HttpServer> newServer, int port) {
    return EveryEventLoop.listenOnOtherLoops(
        vertx, loop -> ((HttpServerInternal) newServer.get()).listen(loop, address(port)));
  }

  /**
   * As {@code NetServer.listen(port, host)} builds it: the public factory refuses the negative port
   * that {@link EveryEventLoop#port} gives for "any free port".
   */
  private SocketAddress address(int port) {
    return new SocketAddressImpl(port, options.host());
  }

  /**
   * The handlers of a listener; {@code secure}: its connections are TLS, whose session may carry a
   * client certificate. A plain one's WebSocket is not asked for its TLS session: Vert.x looks for
   * the TLS handler in the pipeline by class, ≈ 4 % of the event loops' time when WebSockets
   * connect (JFR, docs/benchmarks.md, twenty-third round).
   */
  private HttpServer handlers(HttpServer created, boolean secure) {
    return created
        .connectionHandler(this::onConnection)
        .webSocketHandshakeHandler(this::onHandshake)
        .webSocketHandler(ws -> onWebSocket(ws, secure))
        .requestHandler(this::onPlainRequest);
  }

  private void listening(HttpServer bound, boolean secure) {
    log.info(
        "ws_listening host={} port={} path={} tls={}",
        options.host(),
        bound.actualPort(),
        options.path(),
        secure);
  }

  @Override
  public Future<?> stop() {
    return Future.all(
        server == null ? Future.succeededFuture() : server.close(),
        tlsServer == null ? Future.succeededFuture() : tlsServer.close());
  }

  /** The bound plain-text port, once started; -1 when switched off. */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  /**
   * The listening servers, plain and TLS, once started: where {@code AcceptGate} puts the connect
   * limits.
   */
  public java.util.List<HttpServer> servers() {
    return java.util.stream.Stream.of(server, tlsServer).filter(s -> s != null).toList();
  }

  /** The bound TLS ({@code wss://}) port, once started; -1 when there is none. */
  public int tlsPort() {
    return tlsServer == null ? -1 : tlsServer.actualPort();
  }

  private HttpServerOptions serverOptions(int port) {
    return new HttpServerOptions()
        .setHost(options.host())
        .setPort(port)
        .setMaxHeaderSize(options.maxHeaderBytes())
        // One bound for a single frame and for a message reassembled from fragments.
        .setMaxWebSocketFrameSize(options.maxFrameBytes())
        .setMaxWebSocketMessageSize(options.maxFrameBytes())
        // Frames are small JSON; compression would only let a small frame inflate past the bound.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // HTTP/1.1 only: with h2c detection Vert.x creates the connection only once the first bytes
        // arrive,
        // so a client that connects and stays silent would escape the upgrade deadline.
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout(0)
        // Every response and the upgrade are written from the connection's event loop: in strict
        // thread mode
        // Vert.x writes them straight to the channel instead of through a per-connection outbound
        // queue,
        // which the upgraded WebSocket would otherwise keep alive (≈ 4.7 KB each; see
        // OutboundQueues).
        .setStrictThreadMode(true);
  }

  private void onConnection(HttpConnection connection) {
    FrameGate.install(connection);
    String remote = connection.remoteAddress().toString();
    long timer =
        vertx.setTimer(
            options.handshakeTimeoutMs(),
            id -> {
              if (upgradeDeadlines.remove(remote) != null) {
                log.debug("ws_upgrade_timeout remote={}", remote);
                connection.close();
              }
            });
    upgradeDeadlines.put(remote, timer);
    connection.closeHandler(v -> cancelUpgradeDeadline(remote));
  }

  private void onHandshake(ServerWebSocketHandshake handshake) {
    if (!options.path().equals(handshake.path())) {
      log.debug("ws_wrong_path path={} remote={}", handshake.path(), handshake.remoteAddress());
      handshake.reject(404);
    } else if (!wellFormedKey(handshake.headers().getAll("Sec-WebSocket-Key"))) {
      log.debug("ws_bad_key remote={}", handshake.remoteAddress());
      handshake.reject(400);
    } else if (!origins.allows(
        handshake.headers().getAll("Origin"), handshake.headers().get("Host"))) {
      refuseOrigin(handshake);
    } else {
      handshake.accept();
    }
  }

  /**
   * RFC 6455 §4.2.1 item 5: one {@code Sec-WebSocket-Key}, "a base64-encoded value that, when
   * decoded, is 16 bytes in length"; a handshake that does not match "MUST" be refused with an
   * error code "such as 400 Bad Request". Netty only checks that the header is there.
   */
  static boolean wellFormedKey(List<String> keys) {
    if (keys.size() != 1) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(keys.get(0).trim()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * A page of a foreign origin: HTTP 403 instead of the upgrade (RFC 6455 §4.2.2 /origin/: "If the
   * server does not wish to accept this connection, it MUST return an appropriate HTTP error code
   * (e.g., 403 Forbidden) and abort the WebSocket handshake"; §10.2). Never upgraded, it never
   * becomes a session; the attempt is announced as a {@code sessions.rejected}, with the device id
   * it asked for, so the back end sees which device a foreign page went after.
   */
  private void refuseOrigin(ServerWebSocketHandshake handshake) {
    String shown = OriginPolicy.shown(handshake.headers().getAll("Origin"));
    String remote = handshake.remoteAddress().host() + ":" + handshake.remoteAddress().port();
    log.debug("ws_origin_refused origin={} remote={}", shown, remote);
    table.reject(
        new Rejection(
            TransportName.WEBSOCKET.id(),
            remote,
            UpgradeHello.claimedDevice(handshake.query()),
            OriginPolicy.REFUSED,
            "origin " + shown + " is not allowed (websocket.allowedOrigins)"));
    handshake.reject(403);
  }

  private void onWebSocket(ServerWebSocket ws, boolean secure) {
    // the peer from Netty's channel: asking the WebSocket would make Vert.x keep a copy
    // (PeerAddress)
    ChannelHandlerContext chctx = ((WebSocketInternal) ws).channelHandlerContext();
    cancelUpgradeDeadline(PeerAddress.of(chctx.channel()));
    OutboundQueues.slim(chctx);
    new WsConnection(
            ws,
            table,
            options,
            secure ? auth.forPeer(ws.sslSession()) : auth,
            vertx.getOrCreateContext(),
            heartbeats)
        .start();
  }

  private void onPlainRequest(HttpServerRequest request) {
    if (options.path().equals(request.path())) {
      request
          .response()
          .setStatusCode(426)
          .putHeader("Upgrade", "websocket")
          .end("WebSocket upgrade required\n");
    } else {
      request.response().setStatusCode(404).end();
    }
  }

  private void cancelUpgradeDeadline(String remote) {
    Long timer = upgradeDeadlines.remove(remote);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  /** Heartbeats from devices with an open session since start: {@code ping} frames and pongs. */
  public long heartbeats() {
    return heartbeats.sum();
  }
}

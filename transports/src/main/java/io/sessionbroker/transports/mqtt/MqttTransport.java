package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.EveryEventLoop;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetServerInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.SocketAddressImpl;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT 3.1.1 / 5 endpoint: accepts sockets, gives each an {@link MqttLink}, and owns what links
 * share — the pub/sub {@link MqttRouter}, the in-memory {@link MqttSessionStore} and the {@link
 * Wills}. With TLS ({@link ListenerTls}) a second server (8883 by convention) feeds the same links.
 *
 * <p>Threading: the listeners listen from every event loop ({@link EveryEventLoop}), and each link
 * lives on the loop that accepted its socket: its packets, keep-alive, CONNACK, DISCONNECT,
 * commands and deliveries run there. What links share is safe from any loop, each for a reason of
 * its own: the router is a concurrent map whose deliveries hop to the subscriber's loop ({@link
 * LocalRouter}); the session store and the delayed wills change hands on the session table's thread
 * as a session ends, which orders a client id's connections as the table does, across loops ({@link
 * MqttLink#closing}); the counters are adders, the ACL a volatile reference.
 */
public final class MqttTransport extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);

  private final SessionTable table;
  private final MqttOptions options;
  private final DeviceAuth auth;
  private final MqttRouter router;
  private final LongAdder heartbeats = new LongAdder();
  private final ListenerTls tls;
  private final AclOptions aclOptions;
  private final AclDenials denials = new AclDenials();
  private AclReloader aclReloader;
  private NetServer server;
  private NetServer tlsServer;

  public MqttTransport(SessionTable table, MqttOptions options, DeviceAuth auth) {
    this(table, options, auth, new LocalRouter(), ListenerTls.NONE);
  }

  /** With another router, e.g. one that also routes publishes between broker nodes. */
  public MqttTransport(
      SessionTable table, MqttOptions options, DeviceAuth auth, MqttRouter router) {
    this(table, options, auth, router, ListenerTls.NONE);
  }

  /** With another router and TLS as configured. */
  public MqttTransport(
      SessionTable table,
      MqttOptions options,
      DeviceAuth auth,
      MqttRouter router,
      ListenerTls tls) {
    this(table, options, auth, router, tls, AclOptions.NONE);
  }

  /** With another router, TLS and authorization ({@link TopicAcl}) as configured. */
  public MqttTransport(
      SessionTable table,
      MqttOptions options,
      DeviceAuth auth,
      MqttRouter router,
      ListenerTls tls,
      AclOptions acl) {
    this.table = table;
    this.aclOptions = acl;
    this.options = options;
    this.auth = auth;
    this.router = router;
    this.tls = tls;
  }

  @Override
  public Future<?> start() {
    TopicAcl acl = aclOptions.acl();
    aclReloader = new AclReloader(vertx, aclOptions, acl).start();
    LinkServices services =
        new LinkServices(
            table,
            options,
            auth,
            router,
            new MqttSessionStore(table.clock()),
            new Wills(router),
            heartbeats,
            acl,
            denials,
            false);
    Handler<NetSocket> accept = accept(services);
    int port = EveryEventLoop.port(options.port());
    NetServerOptions plain = new NetServerOptions().setHost(options.host()).setPort(port);
    Future<?> started = router.start();
    if (tls.plain()) {
      Supplier<NetServer> plainServer = () -> vertx.createNetServer(plain).connectHandler(accept);
      server = plainServer.get();
      started =
          started
              .compose(v -> server.listen())
              .compose(s -> onEveryLoop(plainServer, port))
              .onSuccess(s -> listening(server, false));
    }
    if (tls.enabled()) {
      int tlsPort = EveryEventLoop.port(tls.port());
      Supplier<NetServer> secureServer =
          () ->
              vertx
                  .createNetServer(
                      tls.options().applyTo(new NetServerOptions(plain).setPort(tlsPort)))
                  .connectHandler(accept(services.overTls()));
      tlsServer = secureServer.get();
      started =
          started
              .compose(v -> tlsServer.listen())
              .compose(s -> onEveryLoop(secureServer, tlsPort))
              .onSuccess(
                  s -> {
                    listening(tlsServer, true);
                    new CertificateReloader(
                            vertx, tls.options(), "mqtt", o -> tlsServer.updateSSLOptions(o, true))
                        .start();
                  });
    }
    return started;
  }

  /**
   * The same listener once more from each other event loop ({@link EveryEventLoop}), as the TCP
   * transport does: the servers share the bound socket and close with this verticle; the
   * certificate reloader updates the first one, whose certificates they all use.
   */
  private Future<Void> onEveryLoop(Supplier<NetServer> newServer, int port) {
    // As NetServer.listen(port, host) builds it: the public factory refuses the negative port that
    // EveryEventLoop.port gives for "any free port".
    SocketAddress address = new SocketAddressImpl(port, options.host());
    return EveryEventLoop.listenOnOtherLoops(
        vertx, loop -> ((NetServerInternal) newServer.get()).listen(loop, address));
  }

  /**
   * A listener's connect handler: on the event loop of the server that accepted the socket ({@link
   * EveryEventLoop}), the link's context.
   */
  private Handler<NetSocket> accept(LinkServices services) {
    return socket -> {
      NetSocketInternal internal = (NetSocketInternal) socket;
      OutboundQueues.slim(internal.channelHandlerContext());
      new MqttLink(internal, services, vertx.getOrCreateContext());
    };
  }

  private void listening(NetServer bound, boolean secure) {
    log.info("mqtt_listening host={} port={} tls={}", options.host(), bound.actualPort(), secure);
  }

  @Override
  public Future<?> stop() {
    if (aclReloader != null) {
      aclReloader.stop();
    }
    return Future.all(
        server == null ? Future.succeededFuture() : server.close(),
        tlsServer == null ? Future.succeededFuture() : tlsServer.close());
  }

  /** What the ACL refused since start, by kind. */
  public AclDenials denials() {
    return denials;
  }

  /** PINGREQs from clients with an open session, since start. */
  public long heartbeats() {
    return heartbeats.sum();
  }

  /**
   * The bound plain-text port, once started (the configured one, or the ephemeral one chosen for
   * port 0); -1 when switched off.
   */
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
}

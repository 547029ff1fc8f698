package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT 3.1.1 / 5 endpoint: accepts sockets, gives each an {@link MqttLink}, and owns what links
 * share — the pub/sub {@link MqttRouter}, the in-memory {@link MqttSessionStore} and the {@link
 * Wills}. Every link runs on this verticle's event loop, so none of the shared state needs a lock.
 * With TLS ({@link ListenerTls}) a second server (8883 by convention) feeds the same links.
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
            new Wills(vertx, router),
            context,
            heartbeats,
            acl,
            denials);
    Handler<NetSocket> accept =
        socket -> {
          NetSocketInternal internal = (NetSocketInternal) socket;
          OutboundQueues.slim(internal.channelHandlerContext());
          new MqttLink(internal, services);
        };
    NetServerOptions plain = new NetServerOptions().setHost(options.host()).setPort(options.port());
    Future<?> started = router.start();
    if (tls.plain()) {
      server = vertx.createNetServer(plain).connectHandler(accept);
      started = started.compose(v -> server.listen()).onSuccess(s -> listening(s, false));
    }
    if (tls.enabled()) {
      tlsServer =
          vertx
              .createNetServer(
                  tls.options().applyTo(new NetServerOptions(plain).setPort(tls.port())))
              .connectHandler(accept);
      started =
          started
              .compose(v -> tlsServer.listen())
              .onSuccess(
                  s -> {
                    listening(s, true);
                    new CertificateReloader(
                            vertx, tls.options(), "mqtt", o -> tlsServer.updateSSLOptions(o, true))
                        .start();
                  });
    }
    return started;
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

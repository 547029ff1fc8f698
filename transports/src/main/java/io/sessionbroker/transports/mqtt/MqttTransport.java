package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT 3.1.1 / 5 endpoint: accepts sockets, gives each an {@link MqttLink}, and owns what links
 * share — the pub/sub {@link MqttRouter}, the in-memory {@link MqttSessionStore} and the {@link
 * Wills}. Every link runs on this verticle's event loop, so none of the shared state needs a lock.
 */
public final class MqttTransport extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);

  private final SessionTable table;
  private final MqttOptions options;
  private final DeviceAuth auth;
  private final MqttRouter router;
  private final LongAdder heartbeats = new LongAdder();
  private NetServer server;

  public MqttTransport(SessionTable table, MqttOptions options, DeviceAuth auth) {
    this(table, options, auth, new LocalRouter());
  }

  /** With another router, e.g. one that also routes publishes between broker nodes. */
  public MqttTransport(
      SessionTable table, MqttOptions options, DeviceAuth auth, MqttRouter router) {
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.router = router;
  }

  @Override
  public Future<?> start() {
    LinkServices services =
        new LinkServices(
            table,
            options,
            auth,
            router,
            new MqttSessionStore(table.clock()),
            new Wills(vertx, router),
            context,
            heartbeats);
    server =
        vertx.createNetServer(
            new NetServerOptions().setHost(options.host()).setPort(options.port()));
    server.connectHandler(
        socket -> {
          NetSocketInternal internal = (NetSocketInternal) socket;
          OutboundQueues.slim(internal.channelHandlerContext());
          new MqttLink(internal, services);
        });
    return router
        .start()
        .compose(v -> server.listen())
        .onSuccess(s -> log.info("mqtt_listening host={} port={}", options.host(), s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** PINGREQs from clients with an open session, since start. */
  public long heartbeats() {
    return heartbeats.sum();
  }

  /** The bound port, once started (the configured one, or the ephemeral one chosen for port 0). */
  public int port() {
    return server.actualPort();
  }
}

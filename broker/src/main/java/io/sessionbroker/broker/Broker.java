package io.sessionbroker.broker;

import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker node: the session table, the device listeners, the admin API and the event bus bridge, wired
 * together — standalone, or clustered through {@link ClusterNode}. {@link #stop} closes every session with
 * {@code SHUTDOWN} and announces it before the node leaves.
 */
public final class Broker {

  private static final Logger log = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final Vertx vertx;
  private final ClusterNode cluster;
  private final List<String> listeners = new ArrayList<>();
  private SessionTable table;
  private TcpTransport tcp;

  private Broker(BrokerConfig config, Vertx vertx, ClusterNode cluster) {
    this.config = config;
    this.vertx = vertx;
    this.cluster = cluster;
  }

  /** Starts a node; the future fails with the first listener that could not start. */
  public static Future<Broker> start(BrokerConfig config) {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    if (!config.cluster().enabled()) {
      return deploy(config, Vertx.vertx(options), null);
    }
    ClusterNode cluster = ClusterNode.create(config.cluster());
    return ClusterNode.vertx(options, cluster, config.cluster())
        .compose(vertx -> deploy(config, vertx, cluster));
  }

  private static Future<Broker> deploy(BrokerConfig config, Vertx vertx, ClusterNode cluster) {
    Broker broker = new Broker(config, vertx, cluster);
    return broker.deploy()
        .map(broker)
        .recover(e -> vertx.close().transform(v -> Future.failedFuture(e)));
  }

  private Future<Void> deploy() {
    String nodeId = nodeId();
    SessionTableVerticle tableVerticle = cluster == null
        ? new SessionTableVerticle(config.table(), Clock.monotonic(), nodeId)
        : cluster.tableVerticle(config.table(), Clock.monotonic());
    Supplier<List<String>> nodes = cluster == null ? () -> List.of(nodeId) : cluster::nodes;
    return vertx.deployVerticle(tableVerticle)
        .compose(id -> {
          table = tableVerticle.table();
          return NodeAdmin.register(vertx.eventBus(), nodeId, table);
        })
        .compose(v -> new AdminApi(vertx.eventBus(), tableVerticle.pipeline().eventLog(), nodes).register())
        .compose(v -> cluster == null ? Future.succeededFuture() : cluster.watch(vertx, tableVerticle))
        .compose(v -> deployTcp())
        .compose(v -> deployBridge());
  }

  private Future<Void> deployTcp() {
    if (config.tcp() == null) {
      return Future.succeededFuture();
    }
    tcp = new TcpTransport(table, config.tcp(), config.auth());
    return vertx.deployVerticle(tcp)
        .onSuccess(id -> listeners.add("tcp " + config.tcp().host() + ":" + tcp.port()))
        .mapEmpty();
  }

  private Future<Void> deployBridge() {
    if (!config.bridge().enabled()) {
      return Future.succeededFuture();
    }
    return EventBridge.start(vertx, config.bridge())
        .onSuccess(b -> listeners.add("bridge " + config.bridge().host() + ":" + config.bridge().port()))
        .mapEmpty();
  }

  /**
   * Closes every session with {@code SHUTDOWN}, waits the configured grace so the close events reach the
   * bridge's subscribers, then closes Vert.x (leaving the cluster).
   */
  public Future<Void> stop() {
    return table.shutdown()
        .compose(closed -> {
          log.info("broker_stopping sessions_closed={}", closed);
          return vertx.timer(config.shutdownGraceMs());
        })
        .compose(v -> vertx.close());
  }

  public SessionTable table() {
    return table;
  }

  public Vertx vertx() {
    return vertx;
  }

  public BrokerConfig config() {
    return config;
  }

  /** This node's id: {@code node.id} standalone, the cluster member id when clustered. */
  public String nodeId() {
    return cluster == null ? config.nodeId() : cluster.nodeId();
  }

  /** The TCP transport's bound port; -1 when TCP is disabled. */
  public int tcpPort() {
    return tcp == null ? -1 : tcp.port();
  }

  /** What is listening, one entry per listener: {@code "tcp 127.0.0.1:7000"}. */
  public List<String> listeners() {
    return List.copyOf(listeners);
  }
}

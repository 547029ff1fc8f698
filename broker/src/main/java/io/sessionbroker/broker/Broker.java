package io.sessionbroker.broker;

import io.sessionbroker.broker.http.BrokerMetrics;
import io.sessionbroker.broker.http.HttpApi;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.Ticker;
import io.sessionbroker.cluster.hazelcast.ClusterNode;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.mqtt.ClusterRouter;
import io.sessionbroker.transports.mqtt.LocalRouter;
import io.sessionbroker.transports.mqtt.MqttTransport;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.udp.UdpStats;
import io.sessionbroker.transports.udp.UdpTransport;
import io.sessionbroker.transports.websocket.WebSocketTransport;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker node: the session table, the device listeners, the admin API and the event bus bridge,
 * wired together — standalone, or clustered through {@link ClusterNode}. {@link #stop} closes every
 * session with {@code SHUTDOWN} and announces it before the node leaves.
 */
public final class Broker {

  private static final Logger log = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final Vertx vertx;
  private final ClusterNode cluster;
  private final Map<TransportName, Listener> listeners = new EnumMap<>(TransportName.class);
  private final Clock clock;
  private final Ticker ticker;
  private final BrokerMetrics metrics;
  private SessionTable table;
  private HttpServer http;
  private HttpServer https;
  private int bridgeTlsPort = -1;
  private volatile boolean ready;
  private UdpTransport udp;
  private TcpTransport tcp;
  private MqttTransport mqtt;
  private WebSocketTransport websocket;

  /**
   * A device listener: its name in the configuration, its address and configured port, how it
   * starts, its bound port once up.
   */
  private record Listener(
      TransportName name,
      String host,
      int configuredPort,
      Supplier<Future<?>> start,
      IntSupplier port,
      IntSupplier tlsPort) {

    /** {@code tcp 127.0.0.1:7000}, {@code tcp 127.0.0.1:7000 + tls 7443}, {@code tcp tls ...}. */
    String describe(ListenerTls tls) {
      String name = name().id();
      if (!tls.enabled()) {
        return name + " " + host + ":" + configuredPort;
      }
      return tls.plain()
          ? name + " " + host + ":" + configuredPort + " + tls " + tls.port()
          : name + " tls " + host + ":" + tls.port();
    }
  }

  private Broker(
      BrokerConfig config,
      Vertx vertx,
      ClusterNode cluster,
      Clock clock,
      Ticker ticker,
      BrokerMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.vertx = vertx;
    this.cluster = cluster;
    this.clock = clock;
    this.ticker = ticker;
  }

  /** Starts a node; the future fails with the first listener that could not start. */
  public static Future<Broker> start(BrokerConfig config) {
    return start(config, Clock.monotonic(), Ticker.scheduler());
  }

  /**
   * Starts a node whose session table reads {@code clock} and is ticked by {@code ticker}: a test
   * passes a fake clock and a ticker it fires by hand, and decides to the millisecond when sessions
   * expire.
   */
  public static Future<Broker> start(BrokerConfig config, Clock clock, Ticker ticker) {
    BrokerMetrics metrics = new BrokerMetrics();
    VertxOptions options =
        new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(metrics.vertxOptions());
    if (!config.cluster().enabled()) {
      Vertx vertx = Vertx.builder().with(options).withMetrics(metrics.vertxFactory()).build();
      return deploy(new Broker(config, vertx, null, clock, ticker, metrics));
    }
    ClusterNode cluster =
        ClusterNode.create(
            config.cluster().configFile(), config.cluster().quorum(), config.cluster().name());
    Promise<Broker> started = Promise.promise(); // of no context: see deploy
    cluster
        .vertx(options, metrics.vertxFactory(), config.cluster().host())
        .onComplete(
            joined -> {
              if (joined.failed()) {
                started.fail(joined.cause());
              } else {
                deploy(new Broker(config, joined.result(), cluster, clock, ticker, metrics))
                    .onComplete(started::handle);
              }
            });
    return started.future();
  }

  /**
   * Deploys everything; on a failure closes Vert.x and fails with the first cause. The result is a
   * promise of no context: a future of one of this Vert.x's contexts (say, {@code
   * deploy().recover(e -> vertx.close()...)}) delivers its completion through that context's event
   * loop, which {@code close} has shut down, so whoever waited for the start would never hear of
   * the failure (Main waited 120 s for it, then reported a TimeoutException).
   */
  private static Future<Broker> deploy(Broker broker) {
    Promise<Broker> started = Promise.promise();
    broker
        .deploy()
        .onComplete(
            deployed -> {
              if (deployed.succeeded()) {
                started.complete(broker);
              } else {
                // Vert.x completes its close on a thread of its own, after its event loops end.
                broker.vertx.close().onComplete(closed -> started.fail(deployed.cause()));
              }
            });
    return started.future();
  }

  private Future<Void> deploy() {
    String nodeId = nodeId();
    SessionTableVerticle tableVerticle =
        cluster == null
            ? SessionTableVerticle.builder(config.table(), clock, nodeId).ticker(ticker).build()
            : cluster.tableVerticle(vertx, config.table(), clock, ticker);
    Supplier<List<String>> nodes = cluster == null ? () -> List.of(nodeId) : cluster::nodes;
    // The table runs on a worker context of its own (serialized like an event loop, but on no event
    // loop), so
    // the transports' I/O never shares its thread: an eviction tick is not delayed by a burst of
    // socket work.
    return vertx
        .deployVerticle(
            tableVerticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .compose(
            id -> {
              table = tableVerticle.table();
              return NodeAdmin.register(vertx.eventBus(), nodeId, table, this::metrics);
            })
        .compose(
            v ->
                new AdminApi(vertx.eventBus(), tableVerticle.pipeline().eventLog(), nodes)
                    .register())
        .compose(
            v -> cluster == null ? Future.succeededFuture() : cluster.watch(vertx, tableVerticle))
        .compose(v -> deployHttp(tableVerticle))
        .compose(v -> deployListeners())
        .compose(v -> deployBridge())
        .compose(v -> metrics.start(vertx.eventBus(), nodeId, transportCounters()))
        .onSuccess(v -> ready = true);
  }

  /**
   * The operator's HTTP listener, first: {@code /health} answers while the rest starts, {@code
   * /ready} says when it is done.
   */
  private Future<Void> deployHttp(SessionTableVerticle tableVerticle) {
    if (!config.http().enabled()) {
      return Future.succeededFuture();
    }
    HttpApi api =
        new HttpApi(
            vertx,
            config.http(),
            this::readiness,
            metrics.registry(),
            tableVerticle.pipeline().eventLog(),
            EventBridge.permissions(new SockJSBridgeOptions()));
    ListenerTls tls = config.tls("http");
    Future<Void> plain =
        !tls.plain()
            ? Future.succeededFuture()
            : ListenerException.naming(
                    api.start(), "http", config.http().host(), config.http().port())
                .onSuccess(server -> http = server)
                .mapEmpty();
    if (!tls.enabled()) {
      return plain;
    }
    return plain
        .compose(
            v ->
                ListenerException.naming(
                    api.startTls(tls), "http tls " + config.http().host() + ":" + tls.port()))
        .onSuccess(server -> https = server)
        .mapEmpty();
  }

  /**
   * {@code GET /ready}: every listener bound and, clustered, a quorum of members in view (below it,
   * this node refuses new sessions: docs/cluster.md).
   */
  private JsonObject readiness() {
    JsonObject report = new JsonObject().put("node", nodeId()).put("listeners", listeners());
    boolean quorum = true;
    if (cluster != null) {
      int members = cluster.nodes().size();
      quorum = members >= config.cluster().quorum();
      report.put("members", members).put("quorum", config.cluster().quorum());
    }
    return report.put("ready", ready && quorum);
  }

  /** What the transports count, for {@code /metrics}. */
  private List<BrokerMetrics.TransportCounter> transportCounters() {
    List<BrokerMetrics.TransportCounter> counters = new ArrayList<>();
    if (udp != null) {
      UdpStats stats = udp.stats();
      for (UdpStats.Counter counter : UdpStats.Counter.values()) {
        counters.add(
            new BrokerMetrics.TransportCounter(
                "udp.datagrams",
                "UDP datagrams received and sent, by kind",
                () -> stats.get(counter),
                "kind",
                counter.name().toLowerCase(java.util.Locale.ROOT)));
      }
      for (UdpStats.Drop drop : UdpStats.Drop.values()) {
        counters.add(
            new BrokerMetrics.TransportCounter(
                "udp.dropped",
                "UDP datagrams dropped, by reason",
                () -> stats.dropped(drop),
                "reason",
                drop.name().toLowerCase(java.util.Locale.ROOT)));
      }
    }
    heartbeats(counters, TransportName.TCP, tcp == null ? null : tcp::heartbeats);
    heartbeats(counters, TransportName.MQTT, mqtt == null ? null : mqtt::heartbeats);
    heartbeats(counters, TransportName.WEBSOCKET, websocket == null ? null : websocket::heartbeats);
    if (udp != null) {
      UdpStats stats = udp.stats();
      heartbeats(counters, TransportName.UDP, () -> stats.get(UdpStats.Counter.PING));
    }
    return counters;
  }

  private static void heartbeats(
      List<BrokerMetrics.TransportCounter> counters,
      TransportName transport,
      java.util.function.LongSupplier count) {
    if (count != null) {
      counters.add(
          new BrokerMetrics.TransportCounter(
              "heartbeats",
              "Heartbeats from devices with an open session: TCP/UDP/WebSocket ping frames,"
                  + " WebSocket pongs, MQTT PINGREQs",
              count,
              "transport",
              transport.id()));
    }
  }

  private Future<Void> deployListeners() {
    List<Listener> wanted = new ArrayList<>();
    if (config.tcp() != null) {
      tcp = new TcpTransport(table, config.tcp(), config.auth(), config.tls("tcp"));
      wanted.add(
          new Listener(
              TransportName.TCP,
              config.tcp().host(),
              config.tcp().port(),
              () -> vertx.deployVerticle(tcp),
              tcp::port,
              tcp::tlsPort));
    }
    if (config.udp() != null) {
      udp = new UdpTransport(table, config.udp(), config.auth());
      wanted.add(
          new Listener(
              TransportName.UDP,
              config.udp().host(),
              config.udp().port(),
              () -> udp.start(vertx),
              udp::port,
              () -> -1));
    }
    if (config.mqtt() != null) {
      // One instance: its pub/sub router is confined to one event loop. Clustered, publishes and
      // the wills
      // of crashed nodes reach subscribers on every node.
      mqtt =
          new MqttTransport(
              table,
              config.mqtt(),
              config.auth(),
              cluster == null ? new LocalRouter() : new ClusterRouter(vertx.eventBus(), nodeId()),
              config.tls("mqtt"));
      wanted.add(
          new Listener(
              TransportName.MQTT,
              config.mqtt().host(),
              config.mqtt().port(),
              () -> vertx.deployVerticle(mqtt),
              mqtt::port,
              mqtt::tlsPort));
    }
    if (config.websocket() != null) {
      websocket =
          new WebSocketTransport(table, config.websocket(), config.auth(), config.tls("websocket"));
      wanted.add(
          new Listener(
              TransportName.WEBSOCKET,
              config.websocket().host(),
              config.websocket().port(),
              () -> vertx.deployVerticle(websocket),
              websocket::port,
              websocket::tlsPort));
    }
    Future<Void> chain = Future.succeededFuture();
    for (Listener listener : wanted) {
      chain =
          chain
              .compose(
                  v ->
                      ListenerException.naming(
                          listener.start().get(),
                          listener.describe(config.tls(listener.name().id()))))
              .onSuccess(id -> listeners.put(listener.name(), listener))
              .mapEmpty();
    }
    return chain;
  }

  private Future<Void> deployBridge() {
    if (!config.bridge().enabled()) {
      return Future.succeededFuture();
    }
    BrokerConfig.BridgeOptions bridge = config.bridge();
    ListenerTls tls = config.tls("bridge");
    String adminToken = config.http().adminToken();
    Future<Void> plain =
        !tls.plain()
            ? Future.succeededFuture()
            : ListenerException.naming(
                    EventBridge.start(vertx, bridge, adminToken),
                    "bridge",
                    bridge.host(),
                    bridge.port())
                .mapEmpty();
    if (!tls.enabled()) {
      return plain;
    }
    return plain
        .compose(
            v ->
                ListenerException.naming(
                    EventBridge.startTls(vertx, bridge, tls, adminToken),
                    "bridge tls " + bridge.host() + ":" + tls.port()))
        .onSuccess(port -> bridgeTlsPort = port)
        .mapEmpty();
  }

  /**
   * Closes every session with {@code SHUTDOWN}, waits the configured grace so the close events
   * reach the bridge's subscribers, then closes Vert.x (leaving the cluster).
   */
  public Future<Void> stop() {
    return table
        .shutdown()
        .compose(
            closed -> {
              log.info("broker_stopping sessions_closed={}", closed);
              return vertx.timer(config.shutdownGraceMs());
            })
        .compose(v -> vertx.close());
  }

  /**
   * This node's counters for {@code sessions.admin.metrics}: open TCP connections, UDP datagrams by
   * fate.
   */
  JsonObject metrics() {
    JsonObject metrics = new JsonObject();
    if (tcp != null) {
      metrics.put(TransportName.TCP.id(), new JsonObject().put("connections", tcp.connections()));
    }
    if (udp != null) {
      metrics.put(TransportName.UDP.id(), udp.stats().toJson());
    }
    return metrics;
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

  /** The bound port of a device listener; -1 when disabled. */
  public int port(TransportName listener) {
    Listener deployed = listeners.get(listener);
    return deployed == null ? -1 : deployed.port().getAsInt();
  }

  /** The bound port of the HTTP listener; -1 when disabled. */
  public int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** The bound TLS port of a device listener; -1 when it has none. */
  public int tlsPort(TransportName listener) {
    Listener deployed = listeners.get(listener);
    return deployed == null ? -1 : deployed.tlsPort().getAsInt();
  }

  /** The bound TLS port of the event bus bridge; -1 when there is none. */
  public int bridgeTlsPort() {
    return bridgeTlsPort;
  }

  /** The bound port of the HTTPS listener; -1 when there is none. */
  public int httpsPort() {
    return https == null ? -1 : https.actualPort();
  }

  public int tcpPort() {
    return port(TransportName.TCP);
  }

  /** What is listening, one entry per listener: {@code "tcp 127.0.0.1:7000"}. */
  public List<String> listeners() {
    List<String> up = new ArrayList<>();
    for (Listener l : listeners.values()) {
      if (l.port().getAsInt() >= 0) {
        up.add(l.name() + " " + l.host() + ":" + l.port().getAsInt());
      }
      if (l.tlsPort().getAsInt() >= 0) {
        up.add(l.name() + " tls " + l.host() + ":" + l.tlsPort().getAsInt());
      }
    }
    if (config.bridge().enabled() && config.tls("bridge").plain()) {
      up.add("bridge " + config.bridge().host() + ":" + config.bridge().port());
    }
    if (bridgeTlsPort >= 0) {
      up.add("bridge tls " + config.bridge().host() + ":" + bridgeTlsPort);
    }
    if (http != null) {
      up.add("http " + config.http().host() + ":" + http.actualPort());
    }
    if (https != null) {
      up.add("http tls " + config.http().host() + ":" + https.actualPort());
    }
    return up;
  }
}

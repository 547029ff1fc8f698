package io.sessionbroker.broker;

import io.sessionbroker.broker.http.BrokerMetrics;
import io.sessionbroker.broker.http.HttpApi;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.Flapping;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.Ticker;
import io.sessionbroker.cluster.hazelcast.ClusterNode;
import io.sessionbroker.cluster.hazelcast.Departures;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.limits.LimitsOptions;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import java.util.ArrayList;
import java.util.List;
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
  private final Departures departures; // the members that said they are leaving; none standalone
  private final Clock clock;
  private final Ticker ticker;
  private final BrokerMetrics metrics;
  private final Warmup.Result warmup;
  private SessionTable table;
  private SessionTableVerticle tableVerticle;
  private Supplier<List<String>> nodes;
  volatile DeviceListeners devices; // read by tests
  private HttpServer http;
  private HttpServer https;
  private int bridgeTlsPort = -1;
  private volatile boolean ready;

  private Broker(
      BrokerConfig config,
      Vertx vertx,
      ClusterNode cluster,
      Clock clock,
      Ticker ticker,
      BrokerMetrics metrics,
      Warmup.Result warmup) {
    this.config = config;
    this.warmup = warmup;
    this.metrics = metrics;
    this.vertx = vertx;
    this.cluster = cluster;
    this.departures = cluster == null ? new Departures() : cluster.departures();
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
   *
   * <p>With {@code node.warmupCloses} above 0 this first rehearses a mass expiry on a Vert.x of its
   * own ({@link Warmup}), on the caller's thread: up to {@code node.warmupMaxMs}.
   */
  public static Future<Broker> start(BrokerConfig config, Clock clock, Ticker ticker) {
    BrokerMetrics metrics = new BrokerMetrics();
    VertxOptions options =
        new VertxOptions()
            .setPreferNativeTransport(true)
            .setEventLoopPoolSize(EventLoops.count(config.eventLoops()))
            .setMetricsOptions(metrics.vertxOptions());
    Transport transport = IoTransports.choose(config.ioTransport());
    // Before this node's Vert.x exists: the rehearsal shares nothing with the node (Warmup).
    Warmup.Result warmup = Warmup.run(transport, config);
    if (!config.cluster().enabled()) {
      Vertx vertx =
          Vertx.builder()
              .with(options)
              .withTransport(transport)
              .withMetrics(metrics.vertxFactory())
              .build();
      return deploy(new Broker(config, vertx, null, clock, ticker, metrics, warmup));
    }
    ClusterNode cluster =
        ClusterNode.create(
            config.cluster().configFile(), config.cluster().quorum(), config.cluster().name());
    Promise<Broker> started = Promise.promise(); // of no context: see deploy
    cluster
        .vertx(options, transport, metrics.vertxFactory(), config.cluster().host())
        .onComplete(
            joined -> {
              if (joined.failed()) {
                started.fail(joined.cause());
              } else {
                deploy(new Broker(config, joined.result(), cluster, clock, ticker, metrics, warmup))
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
    LimitsOptions limits = config.limits();
    Flapping flapping =
        new Flapping(
            limits.flappingMaxDisconnects(), limits.flappingWindowMs(), limits.flappingBanMs());
    tableVerticle =
        cluster == null
            ? SessionTableVerticle.builder(config.table(), clock, nodeId)
                .ticker(ticker)
                .flapping(flapping)
                .commands(config.commands())
                .build()
            : cluster.tableVerticle(
                vertx, config.table(), config.commands(), clock, ticker, flapping);
    nodes = cluster == null ? () -> List.of(nodeId) : cluster::nodes;
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
              return NodeAdmin.register(vertx.eventBus(), nodeId, table, this::nodeMetrics);
            })
        .compose(v -> ShutdownDrain.register(vertx.eventBus(), nodeId, departures))
        .compose(
            v ->
                new AdminApi(vertx.eventBus(), tableVerticle.pipeline().eventLog(), nodes)
                    .register())
        .compose(
            v ->
                new CommandApi(vertx, table, config.commands(), metrics::command, nodes).register())
        .compose(
            v -> cluster == null ? Future.succeededFuture() : cluster.watch(vertx, tableVerticle))
        .compose(v -> deployHttp(tableVerticle))
        .compose(
            v -> {
              devices = new DeviceListeners(vertx, table, config, cluster == null ? null : nodeId);
              return devices.deploy();
            })
        .compose(v -> deployBridge())
        .compose(v -> metrics.start(vertx.eventBus(), nodeId, devices.counters()))
        .onSuccess(
            v -> {
              if (cluster != null) {
                metrics.partitionsSafe(cluster::partitionsSafe);
              }
              ready = true;
            });
  }

  /** The operator's HTTP listener, first: {@code /health} answers at once, {@code /ready} later. */
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
            EventBridge.permissions(new SockJSBridgeOptions()),
            EventBridge::checkSockJsFrame,
            config.commands());
    ListenerTls tls = config.tls("http");
    return plainThenTls(
        tls,
        () ->
            ListenerException.naming(
                    api.start(), "http", config.http().host(), config.http().port())
                .onSuccess(server -> http = server),
        () ->
            ListenerException.naming(
                    api.startTls(tls), "http tls " + config.http().host() + ":" + tls.port())
                .onSuccess(server -> https = server));
  }

  /** {@code sessions.admin.metrics}; clustered, with {@code /ready}'s {@code partitionsSafe}. */
  private JsonObject nodeMetrics() {
    JsonObject metrics = devices == null ? new JsonObject() : devices.nodeMetrics();
    return cluster == null ? metrics : metrics.put("partitionsSafe", cluster.partitionsSafe());
  }

  /**
   * {@code GET /ready}: every listener bound and, clustered, a quorum of members in view (below it,
   * this node refuses new sessions: docs/cluster.md). {@code partitionsSafe} (clustered) says
   * whether the next node may be taken down; it does not change the verdict.
   */
  private JsonObject readiness() {
    JsonObject report = new JsonObject().put("node", nodeId()).put("listeners", listeners());
    boolean quorum = true;
    if (cluster != null) {
      int members = cluster.nodes().size();
      quorum = members >= config.cluster().quorum();
      report.put("members", members).put("quorum", config.cluster().quorum());
      // informative only: a node stays in the load balancer while partitions migrate
      report.put("partitionsSafe", cluster.partitionsSafe());
    }
    return report.put("ready", ready && quorum);
  }

  private Future<Void> deployBridge() {
    if (!config.bridge().enabled()) {
      return Future.succeededFuture();
    }
    BrokerConfig.BridgeOptions bridge = config.bridge();
    ListenerTls tls = config.tls("bridge");
    String adminToken = config.http().adminToken();
    return plainThenTls(
        tls,
        () ->
            ListenerException.naming(
                EventBridge.start(vertx, bridge, adminToken),
                "bridge",
                bridge.host(),
                bridge.port()),
        () ->
            ListenerException.naming(
                    EventBridge.startTls(vertx, bridge, tls, adminToken),
                    "bridge tls " + bridge.host() + ":" + tls.port())
                .onSuccess(port -> bridgeTlsPort = port));
  }

  /** Starts a listener's plain port (unless TLS replaces it), then its TLS port (if any). */
  private static Future<Void> plainThenTls(
      ListenerTls tls, Supplier<Future<?>> plain, Supplier<Future<?>> secure) {
    Future<Void> first = tls.plain() ? plain.get().mapEmpty() : Future.succeededFuture();
    return tls.enabled() ? first.compose(v -> secure.get()).mapEmpty() : first;
  }

  /**
   * Re-reads the certificate of every TLS listener now (SIGHUP): new handshakes get what the files
   * hold; a file that does not parse leaves the previous certificate, and says so in the log.
   */
  public void reloadCertificates() {
    log.info("tls_reload_requested trigger=signal");
    vertx
        .eventBus()
        .publish(CertificateReloader.RELOAD_ADDRESS, null, CertificateReloader.RELOAD_DELIVERY);
  }

  /**
   * Stops the node: refuses new sessions, closes every session with {@code SHUTDOWN}, waits until
   * those closes have left this node ({@link ShutdownDrain}, at most {@code shutdown.maxDrainMs}),
   * gives this node's own bridge subscribers {@code shutdown.graceMs}, then closes Vert.x (leaving
   * the cluster).
   */
  public Future<Void> stop() {
    EventPipeline pipeline = tableVerticle.pipeline();
    long eventsBefore = pipeline.handedIn();
    // Devices that reconnect while the node stops go to another node (the fence refuses them
    // here): a session opened now would outlive the shutdown's sweep and be announced NODE_LOST by
    // the others once this node has left.
    table.fence().raise();
    long stopping = System.nanoTime();
    return table
        .shutdown()
        .compose(
            closed -> {
              log.info(
                  "broker_stopping sessions_closed={} in_ms={}",
                  closed,
                  (System.nanoTime() - stopping) / 1_000_000);
              return new ShutdownDrain(
                      vertx, pipeline, nodeId(), nodes, departures, config.shutdownMaxDrainMs())
                  .drain(eventsBefore, closed);
            })
        .compose(
            v ->
                config.shutdownGraceMs() > 0
                    ? vertx.timer(config.shutdownGraceMs()).<Void>mapEmpty()
                    : Future.<Void>succeededFuture())
        .compose(v -> vertx.close());
  }

  public SessionTable table() {
    return table;
  }

  /** What the rehearsal of a mass expiry before the start did ({@code node.warmupCloses}). */
  Warmup.Result warmup() {
    return warmup;
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
    return devices.port(listener);
  }

  /** The bound TLS port of a device listener; -1 when it has none. */
  public int tlsPort(TransportName listener) {
    return devices.tlsPort(listener);
  }

  /** The bound port of the HTTP listener; -1 when disabled. */
  public int httpPort() {
    return http == null ? -1 : http.actualPort();
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
    List<String> up = devices == null ? new ArrayList<>() : devices.describe();
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

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CommandOptions;
import io.sessionbroker.cluster.Fence;
import io.sessionbroker.cluster.Flapping;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.cluster.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The clustered parts of a node: Vert.x clustered over Hazelcast with the shipped configuration
 * only (a Hazelcast instance built without it would fall back to multicast join), the cluster
 * directory, the replayable event log, cross-node takeover and node-loss announcements. The broker
 * calls, in this order, {@link #create}, {@link #vertx}, {@link #tableVerticle} (then deploys it)
 * and {@link #watch}.
 */
public final class ClusterNode {

  private final HazelcastClusterManager manager;
  private final int quorum;

  /**
   * Raised by the quorum watch ({@link MergeGuard}) while this node is cut off; the table reads it.
   */
  private final Fence fence = new Fence();

  /** The members that said they are leaving (a graceful stop is not a loss). */
  private final Departures departures = new Departures();

  private HazelcastDirectory directory;
  private Clock clock;

  /** The last answer of {@link #checkPartitionsSafe}; false until the first one. */
  private volatile boolean partitionsSafe;

  /** A check is under way: the next tick skips rather than queue behind it. */
  private final AtomicBoolean checking = new AtomicBoolean();

  private ClusterNode(HazelcastClusterManager manager, int quorum) {
    this.manager = manager;
    this.quorum = quorum;
  }

  /**
   * @param configFile the Hazelcast configuration (conf/cluster.xml); join by TCP/IP member lists
   *     only
   * @param quorum members a node must see around it (itself included) to announce a lost node's
   *     sessions
   * @param clusterName the Hazelcast cluster name (the broker's {@code cluster.name}): members of
   *     another name never join this cluster, so separate clusters on one machine stay apart
   */
  public static ClusterNode create(Path configFile, int quorum, String clusterName) {
    Config config;
    try {
      config = new FileSystemXmlConfig(configFile.toFile());
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("cluster config " + configFile + " not found", e);
    }
    if (config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()
        || config.getNetworkConfig().getJoin().isAutoDetectionEnabled()) {
      throw new IllegalArgumentException(
          configFile
              + " enables multicast or auto-detection join: the broker only joins by TCP/IP member lists");
    }
    config.setClusterName(clusterName);
    ReachableMembers.install(config);
    return new ClusterNode(new HazelcastClusterManager(config), quorum);
  }

  /**
   * Starts Vert.x clustered through this node, its event bus on {@code eventBusHost} (any free
   * port), measured by {@code metrics}.
   */
  public Future<Vertx> vertx(
      VertxOptions vertxOptions, VertxMetricsFactory metrics, String eventBusHost) {
    return vertx(vertxOptions, Transport.nativeTransport(), metrics, eventBusHost);
  }

  /** The same on the I/O {@code transport} given (null: NIO). */
  public Future<Vertx> vertx(
      VertxOptions vertxOptions,
      Transport transport,
      VertxMetricsFactory metrics,
      String eventBusHost) {
    vertxOptions.getEventBusOptions().setHost(eventBusHost).setPort(0);
    return Vertx.builder()
        .with(vertxOptions)
        .withTransport(transport != null ? transport : Transport.NIO)
        .withMetrics(metrics)
        .withClusterManager(manager)
        .buildClustered();
  }

  /** The Hazelcast cluster name this node joins under. */
  public String clusterName() {
    return manager.getConfig().getClusterName();
  }

  public String nodeId() {
    return manager.getNodeId();
  }

  public List<String> nodes() {
    return manager.getNodes();
  }

  /**
   * The members that said they are leaving: a stopping node tells the others (the broker's stop
   * drain), so that its leave does not count against their quorum.
   */
  public Departures departures() {
    return departures;
  }

  HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }

  /**
   * How long a member may stay silent before the others remove it ({@code
   * hazelcast.max.no.heartbeat.seconds} in the cluster configuration).
   */
  long failureDetectionMs() {
    return new HazelcastProperties(manager.getConfig())
        .getMillis(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS);
  }

  /**
   * The session table of a clustered node: the cluster directory and event log, cross-node
   * takeover. Flapping is detected per node: see docs/security.md, "Limits and flapping".
   */
  public SessionTableVerticle tableVerticle(
      Vertx vertx,
      TableOptions table,
      CommandOptions commands,
      Clock tableClock,
      Ticker ticker,
      Flapping flapping) {
    this.clock = tableClock;
    this.directory = new HazelcastDirectory(hazelcast());
    return SessionTableVerticle.builder(table, tableClock, nodeId())
        .directory(directory)
        .eventLog(new RingbufferEventLog(hazelcast()))
        .ticker(ticker)
        .remoteTakeover(new EventBusTakeover(vertx.eventBus()))
        .fence(fence)
        .flapping(flapping)
        .commands(commands)
        .build();
  }

  /**
   * Serves takeovers addressed to this node and announces lost nodes' sessions; call once the table
   * exists.
   */
  public Future<Void> watch(Vertx vertx, SessionTableVerticle tableVerticle) {
    OrphanSweep orphanSweep =
        new OrphanSweep(
            vertx,
            directory,
            tableVerticle.pipeline(),
            clock,
            nodeId(),
            () -> hazelcast().getCluster().getMembers(),
            fence,
            quorum);
    MergeGuard mergeGuard =
        new MergeGuard(
            vertx,
            tableVerticle.table(),
            directory,
            clock,
            fence,
            failureDetectionMs(),
            orphanSweep);
    hazelcast().getLifecycleService().addLifecycleListener(mergeGuard);
    hazelcast()
        .getCluster()
        .addMembershipListener(
            new NodeLossWatch(
                vertx,
                directory,
                tableVerticle.pipeline(),
                clock,
                nodeId(),
                quorum,
                mergeGuard,
                hazelcast().getExecutorService(NodeLossWatch.PROBE_EXECUTOR),
                departures));
    checkPartitionsSafe(vertx);
    vertx.setPeriodic(SAFETY_CHECK_MS, id -> checkPartitionsSafe(vertx));
    return EventBusTakeover.serve(vertx.eventBus(), nodeId(), tableVerticle.table());
  }

  /** How often {@link #partitionsSafe} is refreshed. */
  public static final long SAFETY_CHECK_MS = 1_000;

  /**
   * Whether this member's part of the cluster is safe to lose another member: every partition it
   * owns has its backup in sync, none is without an owner, and no migration is under way
   * (Hazelcast's {@code PartitionService.isLocalMemberSafe()}), as of the last check at most {@link
   * #SAFETY_CHECK_MS} (plus the check's own time) ago. The cluster is safe when every member says
   * so. With one backup, a second member lost while it is not loses partitions: an operator waits
   * for it on every node before taking the next one down (docs/cluster.md, "One fault at a time").
   *
   * <p>Not {@code isClusterSafe()}: it asks every member in the list it read, and an ask addressed
   * to a member removed meanwhile is retried for a minute (seen in PartitionSafetyIT), so one fault
   * kept it unanswered long after the backups were rebuilt. Each node answers for itself.
   */
  public boolean partitionsSafe() {
    return partitionsSafe;
  }

  /**
   * Hazelcast's check asks every member and waits for their answers, so it runs on a worker thread,
   * never on an event loop, and one at a time. One still unanswered a period later (a member frozen
   * or cut off, not yet removed) reads as not safe: an old "safe" is not kept.
   */
  void checkPartitionsSafe(Vertx vertx) {
    if (!checking.compareAndSet(false, true)) {
      partitionsSafe = false;
      return;
    }
    try {
      vertx
          .executeBlocking(() -> hazelcast().getPartitionService().isLocalMemberSafe(), false)
          .onComplete(
              done -> {
                partitionsSafe = done.succeeded() && done.result();
                checking.set(false);
              });
    } catch (RejectedExecutionException closing) {
      // Vert.x is closing: its worker pool is gone while the timer's loop still runs (an ERROR
      // "Unhandled exception" at a node's stop, seen in a CI run). Nothing is left to check.
      partitionsSafe = false;
      checking.set(false);
    }
  }
}

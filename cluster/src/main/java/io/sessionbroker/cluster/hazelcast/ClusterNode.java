package io.sessionbroker.broker;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.core.HazelcastInstance;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.cluster.hazelcast.EventBusTakeover;
import io.sessionbroker.cluster.hazelcast.HazelcastDirectory;
import io.sessionbroker.cluster.hazelcast.MergeGuard;
import io.sessionbroker.cluster.hazelcast.NodeLossWatch;
import io.sessionbroker.cluster.hazelcast.RingbufferEventLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileNotFoundException;
import java.util.List;

/**
 * The clustered parts of a node: Vert.x clustered over Hazelcast with the shipped configuration only (a
 * Hazelcast instance built without it would fall back to multicast join), the cluster directory, the
 * replayable event log, cross-node takeover and node-loss announcements.
 */
final class ClusterNode {

  private final HazelcastClusterManager manager;
  private final BrokerConfig.ClusterOptions options;
  private HazelcastDirectory directory;
  private Clock clock;

  private ClusterNode(HazelcastClusterManager manager, BrokerConfig.ClusterOptions options) {
    this.manager = manager;
    this.options = options;
  }

  static ClusterNode create(BrokerConfig.ClusterOptions options) {
    Config config;
    try {
      config = new FileSystemXmlConfig(options.configFile().toFile());
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("cluster config " + options.configFile() + " not found", e);
    }
    if (config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()
        || config.getNetworkConfig().getJoin().isAutoDetectionEnabled()) {
      throw new IllegalArgumentException(options.configFile()
          + " enables multicast or auto-detection join: the broker only joins by TCP/IP member lists");
    }
    return new ClusterNode(new HazelcastClusterManager(config), options);
  }

  static Future<Vertx> vertx(VertxOptions vertxOptions, ClusterNode node, BrokerConfig.ClusterOptions options) {
    vertxOptions.getEventBusOptions().setHost(options.host()).setPort(0);
    return Vertx.builder().with(vertxOptions).withClusterManager(node.manager).buildClustered();
  }

  String nodeId() {
    return manager.getNodeId();
  }

  List<String> nodes() {
    return manager.getNodes();
  }

  HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }

  SessionTableVerticle tableVerticle(TableOptions table, Clock tableClock) {
    this.clock = tableClock;
    this.directory = new HazelcastDirectory(hazelcast());
    return new SessionTableVerticle(table, tableClock, directory, new RingbufferEventLog(hazelcast()), nodeId());
  }

  /** Cross-node takeover and node-loss announcements; call once the table exists. */
  Future<Void> watch(Vertx vertx, SessionTableVerticle tableVerticle) {
    tableVerticle.table().remoteTakeover(new EventBusTakeover(vertx.eventBus()));
    MergeGuard mergeGuard = new MergeGuard(tableVerticle.table(), directory, clock);
    hazelcast().getLifecycleService().addLifecycleListener(mergeGuard);
    hazelcast().getCluster().addMembershipListener(new NodeLossWatch(
        vertx, directory, tableVerticle.pipeline(), clock, nodeId(), options.quorum(), mergeGuard));
    return EventBusTakeover.serve(vertx.eventBus(), nodeId(), tableVerticle.table());
  }
}

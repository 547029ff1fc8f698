package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Hazelcast members in this JVM, each built ONLY from the shipped {@code conf/cluster.xml} (TCP/IP
 * join on loopback, multicast and auto-detection off). The cluster name is made unique so that
 * parallel runs on the same machine never join each other.
 */
final class Members implements AutoCloseable {

  static final Path SHIPPED = Path.of("..", "conf", "cluster.xml");

  private final String clusterName = "sessions-test-" + UUID.randomUUID();
  private final List<HazelcastInstance> started = new ArrayList<>();

  /** Starts {@code count} members; each joins the ones before it before this returns. */
  List<HazelcastInstance> start(int count) {
    List<HazelcastInstance> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(startOne());
    }
    return members;
  }

  HazelcastInstance startOne() {
    return track(Hazelcast.newHazelcastInstance(config()));
  }

  /** Stops {@code member} with the others on {@link #close}. */
  HazelcastInstance track(HazelcastInstance member) {
    started.add(member);
    return member;
  }

  /** The shipped configuration with this run's cluster name. */
  Config config() {
    Config config;
    try {
      config = new FileSystemXmlConfig(SHIPPED.toFile());
    } catch (FileNotFoundException e) {
      throw new IllegalStateException(e);
    }
    if (config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()
        || config.getNetworkConfig().getJoin().isAutoDetectionEnabled()) {
      throw new IllegalStateException(
          "the shipped cluster.xml must keep multicast and auto-detection off");
    }
    return config.setClusterName(clusterName);
  }

  @Override
  public void close() {
    started.forEach(
        member -> {
          if (member.getLifecycleService().isRunning()) {
            member.getLifecycleService().terminate();
          }
        });
  }
}

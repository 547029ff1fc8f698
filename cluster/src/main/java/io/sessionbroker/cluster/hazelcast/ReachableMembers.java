package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.Config;
import com.hazelcast.config.DiscoveryStrategyConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.logging.ILogger;
import com.hazelcast.spi.discovery.AbstractDiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryNode;
import com.hazelcast.spi.discovery.DiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryStrategyFactory;
import com.hazelcast.spi.discovery.SimpleDiscoveryNode;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code <tcp-ip>} member list of the cluster configuration, as a Hazelcast discovery strategy
 * that names only the candidates that accept a TCP connection right now.
 *
 * <p>Why: Hazelcast heals a split brain by a scan (every {@code hazelcast.merge.next.run.delay
 * .seconds}) in which the master of each half sends a merge check to every address of the member
 * list, one after the other, and waits up to 5 s for a connection to each ({@code
 * AbstractJoiner.SPLIT_BRAIN_CONN_TIMEOUT_MILLIS}, not configurable). With the shipped list —
 * 127.0.0.1, ports 5701–5720 — three nodes leave 17 ports where nothing listens, so one scan took
 * up to 85 s, and a frozen node that woke up stayed a cluster of one for a minute or more (seen:
 * merged after 60 s, the two live addresses came last in the scan's order). Probing first, all
 * candidates at once with a short connect timeout, leaves in the list only addresses where a member
 * listens, so the scan reaches the other half at once and the halves merge within one merge period
 * of the heal. Startup joins through the same list.
 *
 * <p>{@link #install} replaces an enabled {@code <tcp-ip>} join by this strategy, with the same
 * members and the same port rule (a member without a port is tried on {@code
 * hazelcast.tcp.join.port.try.count} ports from the configured one), so the operator keeps writing
 * a plain member list.
 */
final class ReachableMembers extends AbstractDiscoveryStrategy {

  /**
   * How long a probe waits for a candidate to accept; a live member on a LAN answers in far less.
   */
  static final int PROBE_TIMEOUT_MS = 500;

  private final List<InetSocketAddress> candidates;

  ReachableMembers(ILogger logger, List<InetSocketAddress> candidates) {
    super(logger, Map.of());
    this.candidates = candidates;
  }

  /**
   * Replaces the enabled {@code <tcp-ip>} join of {@code config} by this strategy over the same
   * member list; a configuration without one is left alone.
   */
  static void install(Config config) {
    NetworkConfig network = config.getNetworkConfig();
    JoinConfig join = network.getJoin();
    if (!join.getTcpIpConfig().isEnabled()) {
      return;
    }
    int ports =
        network.isPortAutoIncrement()
            ? new HazelcastProperties(config).getInteger(ClusterProperty.TCP_JOIN_PORT_TRY_COUNT)
            : 1;
    List<InetSocketAddress> candidates =
        candidates(join.getTcpIpConfig().getMembers(), network.getPort(), ports);
    join.getTcpIpConfig().setEnabled(false);
    join.getDiscoveryConfig()
        .addDiscoveryStrategyConfig(new DiscoveryStrategyConfig(new Factory(candidates)));
    config.setProperty(ClusterProperty.DISCOVERY_SPI_ENABLED.getName(), "true");
  }

  /**
   * The addresses a member list names: {@code host:port} as given, {@code host} on {@code ports}
   * ports from {@code basePort}. A list entry may hold several members separated by commas.
   */
  static List<InetSocketAddress> candidates(List<String> members, int basePort, int ports) {
    List<InetSocketAddress> candidates = new ArrayList<>();
    for (String entry : members) {
      for (String member : entry.split("[,;\\s]+")) {
        if (member.isBlank()) {
          continue;
        }
        int colon = member.lastIndexOf(':');
        if (colon > 0 && member.indexOf(':') == colon) {
          String host = member.substring(0, colon);
          candidates.add(
              new InetSocketAddress(host, Integer.parseInt(member.substring(colon + 1))));
        } else {
          for (int i = 0; i < ports; i++) {
            candidates.add(new InetSocketAddress(member, basePort + i));
          }
        }
      }
    }
    return List.copyOf(candidates);
  }

  @Override
  public Iterable<DiscoveryNode> discoverNodes() {
    List<DiscoveryNode> nodes = new ArrayList<>();
    for (InetSocketAddress reachable : reachable(candidates, PROBE_TIMEOUT_MS)) {
      nodes.add(new SimpleDiscoveryNode(new Address(reachable)));
    }
    return nodes;
  }

  /**
   * The candidates that accept a TCP connection within {@code timeoutMs}, probed all at once (one
   * selector, non-blocking connects), in the order given. Each probe connection is closed at once.
   */
  static List<InetSocketAddress> reachable(List<InetSocketAddress> candidates, int timeoutMs) {
    Set<InetSocketAddress> reachable = new HashSet<>();
    try (Selector selector = Selector.open()) {
      List<SocketChannel> channels = new ArrayList<>();
      try {
        for (InetSocketAddress candidate : candidates) {
          if (candidate.isUnresolved()) {
            continue; // a host name that does not resolve (yet): not reachable
          }
          SocketChannel channel = SocketChannel.open();
          channels.add(channel);
          channel.configureBlocking(false);
          try {
            if (channel.connect(candidate)) {
              reachable.add(candidate);
            } else {
              channel.register(selector, SelectionKey.OP_CONNECT, candidate);
            }
          } catch (IOException refused) {
            // nothing listens there
          }
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!selector.keys().isEmpty()) {
          long left = (deadline - System.nanoTime()) / 1_000_000L;
          if (left <= 0 || selector.select(left) < 0) {
            break;
          }
          for (SelectionKey key : selector.selectedKeys()) {
            key.cancel();
            try {
              if (((SocketChannel) key.channel()).finishConnect()) {
                reachable.add((InetSocketAddress) key.attachment());
              }
            } catch (IOException refused) {
              // nothing listens there
            }
          }
          selector.selectedKeys().clear();
          selector.selectNow(); // flush the cancelled keys
        }
      } finally {
        for (SocketChannel channel : channels) {
          channel.close();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("probing the cluster's members failed", e);
    }
    return candidates.stream().filter(reachable::contains).toList();
  }

  /** Builds the strategy over a fixed list of candidates. */
  static final class Factory implements DiscoveryStrategyFactory {

    private final List<InetSocketAddress> candidates;

    Factory(List<InetSocketAddress> candidates) {
      this.candidates = candidates;
    }

    List<InetSocketAddress> candidates() {
      return candidates;
    }

    @Override
    public Class<? extends DiscoveryStrategy> getDiscoveryStrategyType() {
      return ReachableMembers.class;
    }

    @Override
    public DiscoveryStrategy newDiscoveryStrategy(
        DiscoveryNode self, ILogger logger, Map<String, Comparable> properties) {
      return new ReachableMembers(logger, candidates);
    }

    @Override
    public Collection<PropertyDefinition> getConfigurationProperties() {
      return List.of();
    }
  }
}

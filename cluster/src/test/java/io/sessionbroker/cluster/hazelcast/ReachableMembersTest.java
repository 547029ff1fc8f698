package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies the member list the cluster joins and heals through ({@link ReachableMembers}): the
 * {@code <tcp-ip>} members of the configuration, of which only those that accept a connection are
 * handed to Hazelcast, so its split-brain scan never waits 5 s on an address where nothing listens.
 */
class ReachableMembersTest {

  /**
   * Verifies that a member without a port stands for the port range, one with a port for itself.
   */
  @Test
  void aMemberWithoutAPortIsTriedOnThePortRange() {
    List<InetSocketAddress> candidates =
        ReachableMembers.candidates(List.of("127.0.0.1", "10.0.0.5:5801"), 5701, 3);

    assertThat(candidates)
        .containsExactly(
            new InetSocketAddress("127.0.0.1", 5701),
            new InetSocketAddress("127.0.0.1", 5702),
            new InetSocketAddress("127.0.0.1", 5703),
            new InetSocketAddress("10.0.0.5", 5801));
  }

  /**
   * Verifies that only candidates where something listens are reachable, in the order of the list,
   * and that a probe of a closed port costs no wait (it is refused at once on loopback).
   */
  @Test
  void onlyListeningCandidatesAreReachable() throws IOException {
    try (ServerSocket first = listen();
        ServerSocket second = listen()) {
      int closedPort;
      try (ServerSocket closed = listen()) {
        closedPort = closed.getLocalPort();
      }
      InetAddress loopback = InetAddress.getLoopbackAddress();
      List<InetSocketAddress> candidates =
          List.of(
              new InetSocketAddress(loopback, second.getLocalPort()),
              new InetSocketAddress(loopback, closedPort),
              new InetSocketAddress(loopback, first.getLocalPort()));

      long started = System.nanoTime();
      List<InetSocketAddress> reachable = ReachableMembers.reachable(candidates, 5_000);
      long tookMs = (System.nanoTime() - started) / 1_000_000;

      assertThat(reachable).containsExactly(candidates.get(0), candidates.get(2));
      assertThat(tookMs).as("a refused probe ends the wait").isLessThan(4_000);
    }
  }

  /** Verifies that the shipped configuration joins through this strategy, not the plain scan. */
  @Test
  void theShippedTcpIpJoinIsReplacedByTheProbingList() throws IOException {
    Config config = new FileSystemXmlConfig(Members.SHIPPED.toFile());

    ReachableMembers.install(config);

    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()).isFalse();
    assertThat(config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(config.getProperty(ClusterProperty.DISCOVERY_SPI_ENABLED.getName()))
        .isEqualTo("true");
    assertThat(
            config.getNetworkConfig().getJoin().getDiscoveryConfig().getDiscoveryStrategyConfigs())
        .singleElement()
        .satisfies(
            strategy ->
                assertThat(
                        ((ReachableMembers.Factory) strategy.getDiscoveryStrategyFactory())
                            .candidates())
                    .hasSize(20)
                    .startsWith(new InetSocketAddress("127.0.0.1", 5701)));
  }

  private static ServerSocket listen() throws IOException {
    return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }
}

package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Verifies that a node joins under the cluster name it is given (the broker's {@code
 * cluster.name}), whatever the Hazelcast file says: Hazelcast keeps members of different names
 * apart, which is what keeps separate clusters on one machine from merging.
 */
class ClusterNodeTest {

  @Test
  void joinsUnderTheClusterNameItIsGiven() {
    ClusterNode node = ClusterNode.create(Members.SHIPPED, 2, "team-a");

    assertThat(node.clusterName()).isEqualTo("team-a");
  }
}

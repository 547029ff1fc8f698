package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
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

  /**
   * Verifies that the periodic safety check, fired while Vert.x is closing (its worker pool already
   * gone), reads "not safe" instead of throwing out of the timer (an ERROR in the node's log).
   */
  @Test
  void aSafetyCheckWhileVertxClosesReadsNotSafeAndThrowsNothing() throws Exception {
    ClusterNode node = ClusterNode.create(Members.SHIPPED, 2, "team-b");
    Vertx closed = Vertx.vertx();
    closed.close().await(10, TimeUnit.SECONDS);

    assertThatCode(() -> node.checkPartitionsSafe(closed)).doesNotThrowAnyException();
    assertThat(node.partitionsSafe()).isFalse();
  }
}

package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Verifies how a survivor splits the release of a lost node's entries ({@link ReleaseGroups}): each
 * partition in exactly one group, whatever the owners, so that no session of the lost node is left
 * unannounced (docs/cluster.md, "What a node loss looks like").
 */
class ReleaseGroupsTest {

  private static final UUID A = new UUID(0, 1);
  private static final UUID B = new UUID(0, 2);
  private static final UUID LOST = new UUID(0, 3);

  /**
   * Verifies that the survivors' partitions come first, one group per survivor, and the lost node's
   * partitions and those of no known owner last, in one group, each partition exactly once.
   */
  @Test
  void groupsEveryPartitionOnceByLiveOwnerAndTheRestLast() {
    // given: six partitions, two of the lost node, one not arranged yet
    List<UUID> owners = Arrays.asList(A, LOST, B, A, null, LOST);

    // when
    List<List<Integer>> groups = ReleaseGroups.byOwner(owners, Set.of(A, B));

    // then
    assertThat(groups).containsExactly(List.of(0, 3), List.of(2), List.of(1, 4, 5));
  }

  /** Verifies that with no partition of a lost node there is no empty group to release. */
  @Test
  void leavesNoEmptyGroupWhenEveryOwnerIsLive() {
    assertThat(ReleaseGroups.byOwner(List.of(A, B, A), Set.of(A, B)))
        .containsExactly(List.of(0, 2), List.of(1));
  }

  /**
   * Verifies that a member list that names none of the owners (a view taken mid-change) still
   * covers every partition, in one group.
   */
  @Test
  void coversEveryPartitionWhenNoOwnerIsKnownLive() {
    List<List<Integer>> groups = ReleaseGroups.byOwner(List.of(A, B, LOST), Set.of());

    assertThat(groups).containsExactly(List.of(0, 1, 2));
  }

  /** Verifies that each partition gets a key of its own that hashes to it. */
  @Test
  void findsAKeyForEveryPartition() {
    // given: a hash of 7 partitions
    int partitions = 7;

    // when
    String[] keys =
        ReleaseGroups.partitionKeys(partitions, key -> Math.floorMod(key.hashCode(), partitions));

    // then
    List<Integer> hashed = new ArrayList<>();
    for (String key : keys) {
      hashed.add(Math.floorMod(key.hashCode(), partitions));
    }
    assertThat(hashed).containsExactly(0, 1, 2, 3, 4, 5, 6);
  }
}

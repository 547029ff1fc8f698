package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Verifies the directory's side of a healed split brain: which of a device's two entries wins the
 * merge ({@link NewerEntryMergePolicy}), and the sweep that releases the sessions of nodes outside
 * the cluster ({@link ReleaseAbsent}). DESIGN.md §3 invariants 1 and 2.
 */
class SplitBrainMergeTest {

  private static DirectoryEntry held(long sessionId, String node, DirectoryEntry previous) {
    return DirectoryEntry.idsOnly(sessionId, node).succeeding(previous);
  }

  /**
   * Verifies that a newer claim beats a stale holder, and that at one epoch the release (the
   * majority's NODE_LOST) beats the holder it released.
   */
  @Test
  void theNewerEntryOfADeviceWinsWhicheverHalfItComesFrom() {
    DirectoryEntry staleOnC = held(1, "node-c", null);
    DirectoryEntry releasedByMajority = staleOnC.tombstone();
    DirectoryEntry reconnectedToA = held(2, "node-a", releasedByMajority);

    assertThat(NewerEntryMergePolicy.newer(reconnectedToA, staleOnC)).isTrue();
    assertThat(NewerEntryMergePolicy.newer(staleOnC, reconnectedToA)).isFalse();
    assertThat(NewerEntryMergePolicy.newer(releasedByMajority, staleOnC)).isTrue();
    assertThat(NewerEntryMergePolicy.newer(staleOnC, releasedByMajority)).isFalse();
  }

  /**
   * Verifies that the sweep releases the holder and the owed closes of nodes outside the cluster,
   * once, and leaves the members' sessions alone.
   */
  @Test
  void theSweepReleasesOnlyWhatNodesOutsideTheClusterHeld() {
    DirectoryEntry ofLostNode = held(1, "node-b", null);
    DirectoryEntry takenOverByA = held(2, "node-a", ofLostNode); // node-b's session owed a close
    Map.Entry<String, DirectoryEntry> device = new AbstractMap.SimpleEntry<>("d", takenOverByA);
    ReleaseAbsent sweep = new ReleaseAbsent(Set.of("node-a", "node-c"));

    assertThat(new ReleaseAbsent.NamesAbsent(Set.of("node-a", "node-c")).apply(device)).isTrue();
    ArrayList<DirectoryEntry> released = sweep.process(device);

    assertThat(released).extracting(e -> e.sessionId).containsExactly(1L);
    assertThat(device.getValue().sessionId).isEqualTo(2L);
    assertThat(device.getValue().owed).isEmpty();
    assertThat(sweep.process(device)).as("swept twice").isNull();
    assertThat(new ReleaseAbsent.NamesAbsent(Set.of("node-a", "node-c")).apply(device)).isFalse();

    Map.Entry<String, DirectoryEntry> lost =
        new AbstractMap.SimpleEntry<>("e", held(7, "node-b", null));
    assertThat(sweep.process(lost)).extracting(e -> e.sessionId).containsExactly(7L);
    assertThat(lost.getValue().isHeld()).isFalse();
    assertThat(List.of(lost.getValue().epoch)).containsExactly(1L);
  }
}

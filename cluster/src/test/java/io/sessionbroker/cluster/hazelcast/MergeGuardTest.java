package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies why a node ends a local session after a merge ({@link MergeGuard#orphanReason}): the
 * close reason a consumer sees must say what happened to the device (docs/cluster.md, split brain).
 */
class MergeGuardTest {

  /** Verifies that a session the merged directory still names is not ended. */
  @Test
  void aSessionTheDirectoryStillNamesStays() {
    assertThat(MergeGuard.orphanReason(7, DirectoryEntry.idsOnly(7, "node-a"))).isNull();
  }

  /**
   * Verifies that a session whose device the directory gives to another session ends {@code
   * TAKEN_OVER}: the device has a newer session elsewhere.
   */
  @Test
  void aSessionWhoseDeviceHasANewerSessionIsTakenOver() {
    assertThat(MergeGuard.orphanReason(7, DirectoryEntry.idsOnly(8, "node-b")))
        .isEqualTo(CloseReason.TAKEN_OVER);
  }

  /**
   * Verifies that a session the directory names nobody for (released, or lost in the merge) ends
   * {@code NODE_LOST}.
   */
  @Test
  void aSessionOfADeviceNobodyHoldsIsLostWithItsNode() {
    assertThat(MergeGuard.orphanReason(7, DirectoryEntry.tombstone(3, List.of())))
        .isEqualTo(CloseReason.NODE_LOST);
    assertThat(MergeGuard.orphanReason(7, null)).isEqualTo(CloseReason.NODE_LOST);
  }
}

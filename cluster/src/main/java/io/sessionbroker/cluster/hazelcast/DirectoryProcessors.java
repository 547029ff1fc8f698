package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.query.Predicate;
import java.util.Map;

/**
 * The atomic steps on the cluster directory. Each runs on the partition that owns the device's entry, so two
 * steps on one device never interleave: of two concurrent claims one sees the other as previous holder, and
 * of several survivors removing a dead node's entry exactly one gets it back.
 */
final class DirectoryProcessors {

  private DirectoryProcessors() {}

  /** Names a new holder; returns the previous entry (null, a tombstone or a live holder). */
  static final class Claim implements EntryProcessor<String, DirectoryEntry, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final DirectoryEntry claimant;

    Claim(DirectoryEntry claimant) {
      this.claimant = claimant;
    }

    @Override
    public DirectoryEntry process(Map.Entry<String, DirectoryEntry> entry) {
      DirectoryEntry previous = entry.getValue();
      entry.setValue(claimant.withEpoch(previous == null ? 1 : previous.epoch + 1));
      return previous;
    }
  }

  /**
   * Leaves a tombstone if the entry still names {@code sessionId}; returns the removed holder or null. Used
   * by a node closing its own session and by survivors of a dead node, whose winner announces the close.
   */
  static final class Release implements EntryProcessor<String, DirectoryEntry, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final long sessionId;

    Release(long sessionId) {
      this.sessionId = sessionId;
    }

    @Override
    public DirectoryEntry process(Map.Entry<String, DirectoryEntry> entry) {
      DirectoryEntry current = entry.getValue();
      if (current == null || current.sessionId != sessionId) {
        return null;
      }
      entry.setValue(current.tombstone());
      return current;
    }
  }

  /** Releases whatever the lost node held; returns the removed holder or null. */
  static final class ReleaseNode implements EntryProcessor<String, DirectoryEntry, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final String nodeId;

    ReleaseNode(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public DirectoryEntry process(Map.Entry<String, DirectoryEntry> entry) {
      DirectoryEntry current = entry.getValue();
      if (current == null || !nodeId.equals(current.nodeId)) {
        return null;
      }
      entry.setValue(current.tombstone());
      return current;
    }
  }

  /** Entries held by one node. */
  static final class HeldBy implements Predicate<String, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final String nodeId;

    HeldBy(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public boolean apply(Map.Entry<String, DirectoryEntry> entry) {
      return entry.getValue() != null && nodeId.equals(entry.getValue().nodeId);
    }
  }
}

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.query.Predicate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * The atomic steps on the cluster directory. Each runs on the partition that owns the device's
 * entry, so two steps on one device never interleave: of two concurrent claims one sees the other
 * as previous holder, and of several survivors removing a dead node's entry exactly one gets it
 * back.
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
      if (previous != null && previous.sessionId == claimant.sessionId) {
        // This claim ran before: Hazelcast runs an operation again when the member it went to
        // leaves or its
        // partition moves, even if the first run was applied. Answer as the first run did; a second
        // succession would name the claimant its own predecessor, and its node would take it over.
        return previous.predecessor();
      }
      entry.setValue(claimant.succeeding(previous));
      return previous;
    }
  }

  /**
   * Leaves a tombstone if the entry still names {@code sessionId}, or clears it from the owed
   * closes if it was taken over; returns the removed holder or null. Used by a node closing its own
   * session.
   */
  static final class Release implements EntryProcessor<String, DirectoryEntry, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final long sessionId;

    Release(long sessionId) {
      this.sessionId = sessionId;
    }

    @Override
    public DirectoryEntry process(Map.Entry<String, DirectoryEntry> entry) {
      return release(entry, sessionId);
    }

    static DirectoryEntry release(Map.Entry<String, DirectoryEntry> entry, long sessionId) {
      DirectoryEntry current = entry.getValue();
      if (current == null) {
        return null;
      }
      if (current.isHeld() && current.sessionId == sessionId) {
        entry.setValue(current.tombstone());
        return current;
      }
      int i = current.owedIndex(sessionId);
      if (i < 0) {
        return null;
      }
      ArrayList<DirectoryEntry> rest = new ArrayList<>(current.owed);
      DirectoryEntry owed = rest.remove(i);
      entry.setValue(current.withOwed(rest));
      return owed;
    }
  }

  /**
   * Marks the entry of {@code sessionId} {@link DirectoryEntry#closing} if the device's entry still
   * names it, as holder or owed a close; returns whether it does. Used by a stopping node before it
   * hands the session's close to its event pipeline: the mark decides, atomically per entry, that
   * this node's close goes out and not a survivor's {@code NODE_LOST} (as the release decided
   * before), and the entry stays until the close is in the event log. Running it twice (Hazelcast
   * retries an operation whose member left) answers the same.
   */
  static final class Closing implements EntryProcessor<String, DirectoryEntry, Boolean> {

    private static final long serialVersionUID = 1L;
    private final long sessionId;

    Closing(long sessionId) {
      this.sessionId = sessionId;
    }

    @Override
    public Boolean process(Map.Entry<String, DirectoryEntry> entry) {
      return mark(entry, sessionId);
    }

    static boolean mark(Map.Entry<String, DirectoryEntry> entry, long sessionId) {
      DirectoryEntry current = entry.getValue();
      if (current == null) {
        return false;
      }
      if (current.isHeld() && current.sessionId == sessionId) {
        entry.setValue(current.markedClosing());
        return true;
      }
      int i = current.owedIndex(sessionId);
      if (i < 0) {
        return false;
      }
      ArrayList<DirectoryEntry> owed = new ArrayList<>(current.owed);
      owed.set(i, owed.get(i).markedClosing());
      entry.setValue(current.withOwed(owed));
      return true;
    }
  }

  /**
   * {@link Closing} for several sessions in one operation per partition: each device's sessions
   * (usually one) are marked in turn on its entry; returns the ids of those it names, or null if
   * none. What a stop sends once per partition with that partition's sessions only (Hazelcast sends
   * the processor with each partition's backup), instead of one operation per session.
   */
  static final class ClosingAll implements EntryProcessor<String, DirectoryEntry, long[]> {

    private static final long serialVersionUID = 1L;
    private final HashMap<String, long[]> sessionsByDevice;

    ClosingAll(HashMap<String, long[]> sessionsByDevice) {
      this.sessionsByDevice = sessionsByDevice;
    }

    @Override
    public long[] process(Map.Entry<String, DirectoryEntry> entry) {
      long[] sessions = sessionsByDevice.get(entry.getKey());
      if (sessions == null) {
        return null;
      }
      return LongStream.of(sessions).filter(id -> Closing.mark(entry, id)).toArray();
    }
  }

  /**
   * {@link Release} for several sessions in one operation per partition; returns how many of the
   * device's sessions it released.
   */
  static final class ReleaseAll implements EntryProcessor<String, DirectoryEntry, Integer> {

    private static final long serialVersionUID = 1L;
    private final HashMap<String, long[]> sessionsByDevice;

    ReleaseAll(HashMap<String, long[]> sessionsByDevice) {
      this.sessionsByDevice = sessionsByDevice;
    }

    @Override
    public Integer process(Map.Entry<String, DirectoryEntry> entry) {
      long[] sessions = sessionsByDevice.get(entry.getKey());
      if (sessions == null) {
        return 0;
      }
      return (int) LongStream.of(sessions).filter(id -> Release.release(entry, id) != null).count();
    }
  }

  /**
   * Releases whatever the lost node held — the holder and any owed close — and returns those
   * sessions, or null if there were none. Several survivors run it at once; each session comes back
   * to exactly one of them.
   */
  static final class ReleaseNode
      implements EntryProcessor<String, DirectoryEntry, ArrayList<DirectoryEntry>> {

    private static final long serialVersionUID = 1L;
    private final String nodeId;

    ReleaseNode(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public ArrayList<DirectoryEntry> process(Map.Entry<String, DirectoryEntry> entry) {
      DirectoryEntry current = entry.getValue();
      if (current == null || !current.involves(nodeId)) {
        return null;
      }
      ArrayList<DirectoryEntry> released = new ArrayList<>();
      ArrayList<DirectoryEntry> stillOwed = new ArrayList<>();
      for (DirectoryEntry owed : current.owed) {
        (nodeId.equals(owed.nodeId) ? released : stillOwed).add(owed);
      }
      DirectoryEntry next = current.withOwed(stillOwed);
      if (current.isHeld() && nodeId.equals(current.nodeId)) {
        released.add(current.withOwed(java.util.List.of()));
        next = next.tombstone();
      }
      entry.setValue(next);
      return released;
    }
  }

  /** Entries that name one node, as holder or as holder of an owed close. */
  static final class HeldBy implements Predicate<String, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final String nodeId;

    HeldBy(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public boolean apply(Map.Entry<String, DirectoryEntry> entry) {
      return entry.getValue() != null && entry.getValue().involves(nodeId);
    }
  }
}

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.query.Predicate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Releases whatever nodes outside {@code members} held in one directory entry — the holder and any
 * owed close — and returns those sessions, or null if there were none: the sweep a node runs when
 * its cluster has a quorum again ({@link OrphanSweep}). Like {@link
 * DirectoryProcessors.ReleaseNode} it is atomic per entry, so of several nodes sweeping at once
 * each session comes back to exactly one. The member set is given, not read on the partition owner,
 * so that the backup replica applies the same change.
 */
final class ReleaseAbsent
    implements EntryProcessor<String, DirectoryEntry, ArrayList<DirectoryEntry>> {

  private static final long serialVersionUID = 1L;
  private final Set<String> members;

  ReleaseAbsent(Set<String> members) {
    this.members = members;
  }

  @Override
  public ArrayList<DirectoryEntry> process(Map.Entry<String, DirectoryEntry> entry) {
    DirectoryEntry current = entry.getValue();
    if (current == null) {
      return null;
    }
    ArrayList<DirectoryEntry> released = new ArrayList<>();
    ArrayList<DirectoryEntry> stillOwed = new ArrayList<>();
    for (DirectoryEntry owed : current.owed) {
      (members.contains(owed.nodeId) ? stillOwed : released).add(owed);
    }
    DirectoryEntry next = current.withOwed(stillOwed);
    if (current.isHeld() && !members.contains(current.nodeId)) {
      released.add(current.withOwed(List.of()));
      next = next.tombstone();
    }
    if (released.isEmpty()) {
      return null;
    }
    entry.setValue(next);
    return released;
  }

  /** Entries that name a node outside {@code members}, as holder or as holder of an owed close. */
  static final class NamesAbsent implements Predicate<String, DirectoryEntry> {

    private static final long serialVersionUID = 1L;
    private final Set<String> members;

    NamesAbsent(Set<String> members) {
      this.members = members;
    }

    @Override
    public boolean apply(Map.Entry<String, DirectoryEntry> entry) {
      DirectoryEntry value = entry.getValue();
      return value != null
          && ((value.isHeld() && !members.contains(value.nodeId))
              || value.owed.stream().anyMatch(o -> !members.contains(o.nodeId)));
    }
  }
}

package io.sessionbroker.cluster.hazelcast;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.ToIntFunction;

/**
 * The directory's partitions in the groups a survivor releases a lost node's entries by ({@link
 * NodeLossWatch}): one group per live owner, and last one group of the partitions whose owner is
 * gone or not known yet.
 *
 * <p>Why groups: a release over all partitions answers only when its slowest partition has, and the
 * slowest are the lost node's own partitions, whose operations wait (retried every {@code
 * hazelcast.invocation.retry.pause.millis}) until the master has promoted their backups — 0.5–0.6 s
 * after the member was removed in a cold cluster here. The entries of the lost node's sessions are
 * spread over every partition by device id, so with three nodes two thirds of them live on the
 * survivors' partitions and can be released, and their closes published, while the promotion is
 * still under way.
 *
 * <p>Correctness does not depend on the grouping: every partition is in exactly one group whatever
 * the owners are, and the release of each entry is atomic, so each session still comes back to
 * exactly one survivor. An owner that changes between the grouping and the release only makes that
 * group slower.
 */
final class ReleaseGroups {

  private ReleaseGroups() {}

  /**
   * Groups the partitions {@code 0 .. owners.size() - 1} by owner: a group per owner in {@code
   * live}, in the order the owners first appear, then (if any) one group of those owned by a member
   * outside {@code live} or by nobody ({@code null}).
   *
   * @param owners the owner of each partition, by partition id; {@code null} where none is known
   * @param live the members of the cluster as this survivor sees it
   */
  static List<List<Integer>> byOwner(List<UUID> owners, Set<UUID> live) {
    Map<UUID, List<Integer>> byLiveOwner = new LinkedHashMap<>();
    List<Integer> orphaned = new ArrayList<>();
    for (int partition = 0; partition < owners.size(); partition++) {
      UUID owner = owners.get(partition);
      if (owner != null && live.contains(owner)) {
        byLiveOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(partition);
      } else {
        orphaned.add(partition);
      }
    }
    List<List<Integer>> groups = new ArrayList<>(byLiveOwner.values());
    if (!orphaned.isEmpty()) {
      groups.add(orphaned);
    }
    return groups;
  }

  /**
   * One key per partition, by partition id: a Hazelcast partition predicate names its partitions by
   * keys that hash to them, not by id. Tries {@code "p0"}, {@code "p1"}, … until each of the {@code
   * partitions} has one (about {@code partitions × ln(partitions)} tries: 1,500 for 271).
   *
   * @param partitionOf the partition of a key, as Hazelcast computes it
   */
  static String[] partitionKeys(int partitions, ToIntFunction<String> partitionOf) {
    String[] keys = new String[partitions];
    int found = 0;
    for (long i = 0; found < partitions; i++) {
      if (i > 1_000L * partitions) {
        throw new IllegalStateException("no key found for every one of " + partitions);
      }
      String key = "p" + i;
      int partition = partitionOf.applyAsInt(key);
      if (keys[partition] == null) {
        keys[partition] = key;
        found++;
      }
    }
    return keys;
  }
}

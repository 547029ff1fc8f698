package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.query.Predicates;
import io.sessionbroker.cluster.DeviceDirectory;
import io.sessionbroker.cluster.Session;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;

/**
 * The cluster-wide directory: a Hazelcast map from device id to {@link DirectoryEntry}, written on
 * open and close only (never per heartbeat). Map TTL is not used: eviction is the holding node's
 * timing wheel.
 */
public final class HazelcastDirectory implements DeviceDirectory {

  public static final String MAP_NAME = "sessions.directory";

  private final IMap<String, DirectoryEntry> map;
  private final HazelcastInstance hazelcast;

  /** A key of each partition, by partition id ({@link ReleaseGroups#partitionKeys}). */
  private final String[] partitionKeys;

  public HazelcastDirectory(HazelcastInstance hazelcast) {
    this.map = hazelcast.getMap(MAP_NAME);
    this.hazelcast = hazelcast;
    PartitionService partitions = hazelcast.getPartitionService();
    this.partitionKeys =
        ReleaseGroups.partitionKeys(
            partitions.getPartitions().size(),
            key -> partitions.getPartition(key).getPartitionId());
  }

  /** A claim without session details: a node-loss close of this session can name only its ids. */
  @Override
  public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
    return claim(deviceId, DirectoryEntry.idsOnly(sessionId, nodeId));
  }

  @Override
  public Future<Claim> claim(Session session, String nodeId) {
    return claim(session.deviceId(), DirectoryEntry.of(session, nodeId));
  }

  private Future<Claim> claim(String deviceId, DirectoryEntry claimant) {
    CompletionStage<DirectoryEntry> previous =
        map.submitToKey(deviceId, new DirectoryProcessors.Claim(claimant));
    return Future.fromCompletionStage(previous)
        .map(
            old ->
                new Claim(
                    old == null ? 1 : old.epoch + 1,
                    old == null || !old.isHeld() ? null : new Holder(old.sessionId, old.nodeId)));
  }

  @Override
  public Future<Boolean> release(String deviceId, long sessionId) {
    return Future.fromCompletionStage(
            map.submitToKey(deviceId, new DirectoryProcessors.Release(sessionId)))
        .map(removed -> removed != null);
  }

  @Override
  public Future<Boolean> closing(String deviceId, long sessionId) {
    return Future.fromCompletionStage(
        map.submitToKey(deviceId, new DirectoryProcessors.Closing(sessionId)));
  }

  /**
   * One {@link DirectoryProcessors.ClosingAll} per partition, over that partition's devices only.
   *
   * <p>Why per partition: Hazelcast sends each partition's backup of a multi-key operation with the
   * whole entry processor, so one processor for a thousand sessions over every partition was
   * serialized about 270 times per call (a stop of 10,000 sessions: 5.2 s of marks and 4.1 s of
   * releases, docs/benchmarks.md "Node loss and stop, sixth round").
   */
  @Override
  public Future<Set<Long>> closingAll(Map<Long, String> devices) {
    List<Future<Map<String, long[]>>> marks = new ArrayList<>();
    for (HashMap<String, long[]> partition : byPartition(devices)) {
      marks.add(
          Future.fromCompletionStage(
              map.submitToKeys(partition.keySet(), new DirectoryProcessors.ClosingAll(partition))));
    }
    return Future.all(marks)
        .map(
            all -> {
              Set<Long> marked = new HashSet<>();
              for (Future<Map<String, long[]>> partition : marks) {
                partition.result().values().stream()
                    .filter(ids -> ids != null)
                    .flatMapToLong(LongStream::of)
                    .forEach(marked::add);
              }
              return marked;
            });
  }

  /** One {@link DirectoryProcessors.ReleaseAll} per partition (see {@link #closingAll}). */
  @Override
  public Future<Integer> releaseAll(Map<Long, String> devices) {
    List<Future<Map<String, Integer>>> releases = new ArrayList<>();
    for (HashMap<String, long[]> partition : byPartition(devices)) {
      releases.add(
          Future.fromCompletionStage(
              map.submitToKeys(partition.keySet(), new DirectoryProcessors.ReleaseAll(partition))));
    }
    return Future.all(releases)
        .map(
            all ->
                releases.stream()
                    .flatMap(partition -> partition.result().values().stream())
                    .mapToInt(Integer::intValue)
                    .sum());
  }

  /** The session ids of {@code devices} (device by session id) by device, one map per partition. */
  private Collection<HashMap<String, long[]>> byPartition(Map<Long, String> devices) {
    PartitionService partitions = hazelcast.getPartitionService();
    Map<Integer, HashMap<String, long[]>> byPartition = new HashMap<>();
    devices.forEach(
        (id, device) ->
            byPartition
                .computeIfAbsent(
                    partitions.getPartition(device).getPartitionId(), p -> new HashMap<>())
                .merge(
                    device,
                    new long[] {id},
                    (a, b) -> LongStream.concat(LongStream.of(a), LongStream.of(b)).toArray()));
    return byPartition.values();
  }

  @Override
  public Future<Holder> holder(String deviceId) {
    return entry(deviceId)
        .map(
            entry ->
                entry == null || !entry.isHeld()
                    ? null
                    : new Holder(entry.sessionId, entry.nodeId));
  }

  /**
   * Releases every session {@code nodeId} held (as holder or owed a close) and returns those this
   * call removed, by device. Several survivors may call it at once; each session is returned to
   * exactly one of them.
   */
  Map<String, ? extends List<DirectoryEntry>> releaseNode(String nodeId) {
    return map.executeOnEntries(
        new DirectoryProcessors.ReleaseNode(nodeId), new DirectoryProcessors.HeldBy(nodeId));
  }

  /**
   * As {@link #releaseNode(String)}, on the partitions of {@code group} only (keys from {@link
   * #releaseGroups}): it answers as soon as those have, not when the slowest partition of the map
   * has.
   */
  Map<String, ? extends List<DirectoryEntry>> releaseNode(String nodeId, Set<String> group) {
    return map.executeOnEntries(
        new DirectoryProcessors.ReleaseNode(nodeId),
        Predicates.multiPartitionPredicate(group, new DirectoryProcessors.HeldBy(nodeId)));
  }

  /**
   * Every partition of the map, as partition keys in the groups of {@link ReleaseGroups#byOwner}:
   * one per member of the cluster as this member sees it now, then the partitions of no such member
   * (a lost member's, until their backups are promoted).
   */
  List<Set<String>> releaseGroups() {
    Set<UUID> live = new HashSet<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      live.add(member.getUuid());
    }
    UUID[] owners = new UUID[partitionKeys.length];
    for (Partition partition : hazelcast.getPartitionService().getPartitions()) {
      Member owner = partition.getOwner();
      owners[partition.getPartitionId()] = owner == null ? null : owner.getUuid();
    }
    List<Set<String>> groups = new ArrayList<>();
    for (List<Integer> group : ReleaseGroups.byOwner(Arrays.asList(owners), live)) {
      Set<String> keys = new HashSet<>();
      group.forEach(partition -> keys.add(partitionKeys[partition]));
      groups.add(keys);
    }
    return groups;
  }

  /**
   * Releases every session held by a node outside {@code members} (Vert.x node ids), as holder or
   * owed a close, and returns those this call removed, by device; see {@link OrphanSweep}.
   */
  Map<String, ? extends List<DirectoryEntry>> releaseAbsent(Set<String> members) {
    return map.executeOnEntries(
        new ReleaseAbsent(new HashSet<>(members)),
        new ReleaseAbsent.NamesAbsent(new HashSet<>(members)));
  }

  /** The entry of a device, or null. */
  Future<DirectoryEntry> entry(String deviceId) {
    return Future.fromCompletionStage(map.getAsync(deviceId));
  }
}

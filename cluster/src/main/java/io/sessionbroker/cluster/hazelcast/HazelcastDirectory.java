package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sessionbroker.cluster.DeviceDirectory;
import io.sessionbroker.cluster.Session;
import io.vertx.core.Future;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The cluster-wide directory: a Hazelcast map from device id to {@link DirectoryEntry}, written on
 * open and close only (never per heartbeat). Map TTL is not used: eviction is the holding node's
 * timing wheel.
 */
public final class HazelcastDirectory implements DeviceDirectory {

  public static final String MAP_NAME = "sessions.directory";

  private final IMap<String, DirectoryEntry> map;

  public HazelcastDirectory(HazelcastInstance hazelcast) {
    this.map = hazelcast.getMap(MAP_NAME);
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

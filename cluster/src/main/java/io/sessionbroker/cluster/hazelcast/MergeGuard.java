package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.Fence;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps "at most one live session per device" across a healed split brain.
 *
 * <p>When this node is cut off (it sees fewer members than the quorum), the others count it lost
 * and announce its sessions {@code NODE_LOST}; its devices may reconnect elsewhere. When the halves
 * merge again, Hazelcast merges this node into the larger cluster (the merging side is always the
 * smaller one) and keeps the larger side's directory entries. This node then asks the directory
 * about each of its sessions: one that the directory no longer names is ended — silently if it
 * predates the cut (its close is already out), announced if it was opened during the cut (nobody
 * else knew it). A session the directory still names stays live.
 */
public final class MergeGuard implements LifecycleListener {

  private static final Logger log = LoggerFactory.getLogger(MergeGuard.class);

  private final SessionTable table;
  private final HazelcastDirectory directory;
  private final Clock clock;
  private final Fence fence;
  private volatile long cutOffSince = Long.MAX_VALUE;

  /**
   * @param fence the fence {@code table} was built with: raised here while this node is cut off
   */
  public MergeGuard(SessionTable table, HazelcastDirectory directory, Clock clock, Fence fence) {
    this.table = table;
    this.directory = directory;
    this.clock = clock;
    this.fence = fence;
  }

  /**
   * Called by {@link NodeLossWatch} when this node finds itself below quorum: it refuses new
   * sessions until it sees a quorum again, so devices reconnect to the majority instead of opening
   * sessions nobody else knows.
   */
  void cutOff() {
    fence.raise();
    if (cutOffSince == Long.MAX_VALUE) {
      cutOffSince = clock.millis();
      log.warn("node_cut_off since={}: refusing new sessions until a quorum is back", cutOffSince);
    }
  }

  /** Called by {@link NodeLossWatch} when this node sees a quorum again. */
  void rejoined() {
    fence.lower();
  }

  @Override
  public void stateChanged(LifecycleEvent event) {
    if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
      fence.lower();
      long since = cutOffSince == Long.MAX_VALUE ? clock.millis() : cutOffSince;
      cutOffSince = Long.MAX_VALUE;
      table
          .sessions()
          .compose(this::orphans)
          .compose(orphans -> table.settleAfterMerge(orphans, since))
          .onSuccess(ended -> log.warn("node_merged sessions_ended={}", ended))
          .onFailure(e -> log.error("node_merge_settle_failed", e));
    }
  }

  private Future<Set<Long>> orphans(List<Session> sessions) {
    List<Future<DirectoryEntry>> lookups =
        sessions.stream().map(s -> directory.entry(s.deviceId())).toList();
    return Future.all(lookups)
        .map(
            all -> {
              Set<Long> orphans = new HashSet<>();
              for (int i = 0; i < sessions.size(); i++) {
                DirectoryEntry entry = all.resultAt(i);
                if (entry == null || entry.sessionId != sessions.get(i).id()) {
                  orphans.add(sessions.get(i).id());
                }
              }
              return orphans;
            });
  }
}

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.Fence;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces {@code NODE_LOST} for the sessions of nodes that left while nobody could announce them:
 * when a node has a quorum again after being cut off, it releases every directory entry that names
 * a node outside the cluster and publishes one close per session it got back.
 *
 * <p>Only a node with its quorum sweeps ({@link #run}).
 *
 * <p>Why: {@link NodeLossWatch} announces a lost node's sessions only on the member-removed event,
 * and only at quorum. A node that died while the cluster had no quorum (a second node killed while
 * a third was cut off) left entries that no later event points to; before this sweep, its sessions
 * never got a close event. The release is atomic per entry ({@link ReleaseAbsent}), so nodes that
 * sweep at once, or a sweep and a {@code NodeLossWatch} release, still give each session one close.
 */
final class OrphanSweep {

  private static final Logger log = LoggerFactory.getLogger(OrphanSweep.class);

  private final Vertx vertx;
  private final HazelcastDirectory directory;
  private final EventPipeline pipeline;
  private final Clock clock;
  private final String localNodeId;
  private final Supplier<Set<Member>> members;
  private final Fence fence;
  private final int quorum;

  /**
   * @param members the members this node sees now
   * @param fence this node's fence: cut off while it is below quorum
   * @param quorum members a node must see (itself included) to announce other nodes' sessions
   */
  OrphanSweep(
      Vertx vertx,
      HazelcastDirectory directory,
      EventPipeline pipeline,
      Clock clock,
      String localNodeId,
      Supplier<Set<Member>> members,
      Fence fence,
      int quorum) {
    this.vertx = vertx;
    this.directory = directory;
    this.pipeline = pipeline;
    this.clock = clock;
    this.localNodeId = localNodeId;
    this.members = members;
    this.fence = fence;
    this.quorum = quorum;
  }

  /**
   * Releases and announces the sessions of every node that is not a member now, if this node has
   * its quorum; else does nothing (the next rejoin sweeps again).
   *
   * <p>Why not below quorum or cut off: a node alone in its half sees every other node as absent,
   * and its directory is its own half's copy. A sweep there released the entries of the majority's
   * live sessions in that copy (a released entry wins the merge at the same epoch, {@link
   * NewerEntryMergePolicy}) and announced them {@code NODE_LOST}: seed 101 of the long chaos run
   * logged {@code orphans_announced sessions=6719 members=1} on a node just cut off again. Once a
   * release has run, its sessions are announced whatever happened meanwhile: the entries are gone
   * from this half, and nobody else would announce them.
   */
  Future<Integer> run() {
    Set<String> present = new HashSet<>();
    for (Member member : members.get()) {
      present.add(NodeLossWatch.nodeId(member));
    }
    if (present.size() < quorum || fence.isCutOff()) {
      log.warn(
          "orphan_sweep_skipped members={} quorum={} cut_off={}: not announcing other nodes'"
              + " sessions without a quorum",
          present.size(),
          quorum,
          fence.isCutOff());
      return Future.succeededFuture(0);
    }
    return vertx
        .<Map<String, ? extends List<DirectoryEntry>>>executeBlocking(
            () -> directory.releaseAbsent(present), false)
        .compose(
            released ->
                StopLeftovers.unannounced(pipeline.eventLog(), "(absent)", released)
                    .recover(e -> NodeLossWatch.everyOne("(absent)", released, e)))
        .map(
            released -> {
              int announced = 0;
              for (Map.Entry<String, List<DirectoryEntry>> device : released.entrySet()) {
                for (DirectoryEntry entry : device.getValue()) {
                  pipeline.publish(
                      Addresses.CLOSED,
                      entry.nodeLostEvent(device.getKey(), localNodeId, clock.millis()));
                  announced++;
                }
              }
              log.info("orphans_announced sessions={} members={}", announced, present.size());
              return announced;
            })
        .onFailure(e -> log.error("orphan_sweep_failed", e));
  }
}

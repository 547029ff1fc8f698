package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.EventPipeline;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces the sessions of a node that left the cluster without closing them (crash, kill,
 * partition).
 *
 * <p>Every survivor hears the member leave and releases, in one distributed operation, every
 * directory entry that names it. The release is atomic per entry, so each entry comes back to
 * exactly one survivor, and that survivor alone publishes the session's {@code sessions.closed}
 * with {@link CloseReason#NODE_LOST}: one close per session, none lost, none doubled.
 *
 * <p>Split brain: a member that finds fewer than {@code quorum} members around it (itself included)
 * does nothing, because it is more likely the one cut off; so in a three-node cluster with quorum 2
 * an isolated node does not announce the other two nodes' sessions. See {@link MergeGuard} for what
 * it does on rejoining.
 */
public final class NodeLossWatch implements MembershipListener {

  private static final Logger log = LoggerFactory.getLogger(NodeLossWatch.class);

  /** Time for the membership to settle before a loss is acted on. */
  static final long SETTLE_MS = 1_000;

  /**
   * The member attribute in which vertx-hazelcast stores the Vert.x node id. That id — not the
   * Hazelcast member UUID, which differs from it — is what the node's directory entries, events and
   * admin addresses name.
   */
  static final String VERTX_NODE_ID = "__vertx.nodeId";

  private final Vertx vertx;
  private final HazelcastDirectory directory;
  private final EventPipeline pipeline;
  private final Clock clock;
  private final String localNodeId;
  private final int quorum;
  private final MergeGuard mergeGuard;

  public NodeLossWatch(
      Vertx vertx,
      HazelcastDirectory directory,
      EventPipeline pipeline,
      Clock clock,
      String localNodeId,
      int quorum,
      MergeGuard mergeGuard) {
    this.mergeGuard = mergeGuard;
    this.vertx = vertx;
    this.directory = directory;
    this.pipeline = pipeline;
    this.clock = clock;
    this.localNodeId = localNodeId;
    this.quorum = quorum;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    if (event.getMembers().size() >= quorum) {
      mergeGuard.rejoined();
    }
    log.info(
        "node_joined node={} members={}", nodeId(event.getMember()), event.getMembers().size());
  }

  /** The Vert.x node id of a member (its member UUID only if the attribute is missing). */
  static String nodeId(Member member) {
    String nodeId = member.getAttribute(VERTX_NODE_ID);
    return nodeId != null ? nodeId : member.getUuid().toString();
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String lost = nodeId(event.getMember());
    // Decide after the membership has settled, on the members present then: a node that wakes from
    // a freeze
    // removes the others one by one, and on the first removal it still counts one of them as
    // present.
    vertx.setTimer(
        SETTLE_MS,
        id -> {
          Set<Member> members = event.getCluster().getMembers();
          if (members.size() < quorum) {
            log.warn(
                "node_lost_below_quorum node={} members={} quorum={}: not announcing its sessions",
                lost,
                members.size(),
                quorum);
            mergeGuard.cutOff();
          } else if (members.contains(event.getMember())) {
            log.warn("node_lost_but_back node={}: not announcing its sessions", lost);
          } else {
            announce(lost);
          }
        });
  }

  private void announce(String lost) {
    long started = System.nanoTime();
    vertx
        .<Map<String, ? extends List<DirectoryEntry>>>executeBlocking(
            () -> directory.releaseNode(lost), false)
        .onSuccess(
            released -> {
              int announced = 0;
              for (Map.Entry<String, ? extends List<DirectoryEntry>> device : released.entrySet()) {
                for (DirectoryEntry entry : device.getValue()) {
                  pipeline.publish(Addresses.CLOSED, nodeLost(device.getKey(), entry));
                  announced++;
                }
              }
              log.info(
                  "node_lost node={} sessions_announced={} ms={}",
                  lost,
                  announced,
                  (System.nanoTime() - started) / 1_000_000);
            })
        .onFailure(e -> log.error("node_lost_cleanup_failed node={}", lost, e));
  }

  /**
   * The close event of a session whose node died; its last heartbeat is unknown (never left that
   * node).
   */
  private JsonObject nodeLost(String deviceId, DirectoryEntry entry) {
    return CloseEvent.nodeLost(deviceId, entry.sessionId, entry.nodeId, localNodeId, clock.millis())
        .transport(entry.transport)
        .remote(entry.remote)
        .epoch(entry.epoch)
        .connectedAt(entry.connectedAt)
        .timeoutMs(entry.timeoutMs)
        .will(entry.will == null ? null : new JsonObject(entry.will))
        .toJson();
  }
}

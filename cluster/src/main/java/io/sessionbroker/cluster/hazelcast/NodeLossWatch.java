package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.IExecutorService;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.EventPipeline;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
 * <p>Split brain: a member announces only when {@code quorum} members (itself included) agree that
 * the lost node is gone and that this member is still one of them; each other member is asked for
 * its own view ({@link ViewProbe}). A member that is cut off, or that woke from a freeze the others
 * already removed it for, cannot gather that agreement and does nothing, so in a three-node cluster
 * with quorum 2 an isolated node does not announce the other two nodes' sessions. See {@link
 * MergeGuard} for what it does on rejoining.
 *
 * <p>A member that said it is leaving ({@link Departures}: a graceful stop) is not lost: its leave
 * does not count against the quorum, so the last node of a cluster stopped one node at a time is
 * not cut off and still announces its own sessions when it stops in turn.
 */
public final class NodeLossWatch implements MembershipListener {

  private static final Logger log = LoggerFactory.getLogger(NodeLossWatch.class);

  /** How long a member asked for its view ({@link ViewProbe}) may take to answer. */
  static final long PROBE_TIMEOUT_MS = 1_000;

  /** How long members that have not agreed yet are asked again every {@link #RETRY_MS}. */
  static final long FAST_RETRIES_MS = 5_000;

  /** Pause between two rounds of asking, at first, and after {@link #FAST_RETRIES_MS}. */
  static final long RETRY_MS = 50;

  static final long SLOW_RETRY_MS = 500;

  /** When a survivor stops asking and logs {@code node_lost_unconfirmed} (never seen). */
  static final long GIVE_UP_MS = 120_000;

  /** The Hazelcast executor the view probes run on (Hazelcast's default executor settings). */
  static final String PROBE_EXECUTOR = "sessions.nodeloss";

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
  private final IExecutorService executor;
  private final Departures departures;

  public NodeLossWatch(
      Vertx vertx,
      HazelcastDirectory directory,
      EventPipeline pipeline,
      Clock clock,
      String localNodeId,
      int quorum,
      MergeGuard mergeGuard,
      IExecutorService executor,
      Departures departures) {
    this.mergeGuard = mergeGuard;
    this.departures = departures;
    this.executor = executor;
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
    boolean graceful = departures.left(lost);
    log.info("node_left node={} members={} graceful={}", lost, event.getMembers().size(), graceful);
    if (graceful && event.getMembers().size() < quorum && !mergeGuard.isCutOff()) {
      // Stopped, not lost: it announced its own sessions, and no half of the cluster is left
      // behind it, so this node is not cut off (Departures). A stop cut short may still have
      // left entries: those are released and announced as for any lost node. (A node already cut
      // off stays so: its copy of the directory is not the cluster's.)
      log.info(
          "node_left_below_quorum node={} members={} quorum={}: it stopped gracefully, this node"
              + " is not cut off",
          lost,
          event.getMembers().size(),
          quorum);
      announce(lost);
      return;
    }
    long now = System.nanoTime();
    confirm(
        event,
        lost,
        now + TimeUnit.MILLISECONDS.toNanos(FAST_RETRIES_MS),
        now + TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MS));
  }

  /**
   * Announces the lost node's sessions once a quorum agrees that it is gone: this node, and each
   * other member whose own view (asked with a {@link ViewProbe}) holds this node and no longer
   * holds the lost one.
   *
   * <p>This replaces a fixed wait for the membership to settle. A node that wakes from a freeze
   * removes the others one by one and, on the first removal, still counts the other as present;
   * asked, that other member answers a view without the woken node (it removed it while it was
   * frozen), so the woken node does not count it and stays quiet. A node cut off by the network
   * gets no answer within {@link #PROBE_TIMEOUT_MS} and asks again until Hazelcast removes the
   * members it cannot reach; then it is below quorum. On the majority side the answers come in a
   * round trip: the other survivor either already agrees or its view still holds the lost node for
   * a few milliseconds (the master's new member list is on its way), and this node asks again; a
   * member too loaded to answer within the timeout is asked again too, so a majority never gives up
   * a loss for want of an answer.
   */
  private void confirm(MembershipEvent event, String lost, long fastUntil, long giveUp) {
    Cluster cluster = event.getCluster();
    Set<Member> members = cluster.getMembers();
    if (members.contains(event.getMember())) {
      log.warn("node_lost_but_back node={}: not announcing its sessions", lost);
      return;
    }
    if (members.size() < quorum) {
      belowQuorum(lost, members.size());
      return;
    }
    Member self = cluster.getLocalMember();
    String lostUuid = event.getMember().getUuid().toString();
    String selfUuid = self.getUuid().toString();
    List<Future<ArrayList<String>>> views = new ArrayList<>();
    for (Member member : members) {
      if (!member.equals(self)) {
        views.add(ask(member));
      }
    }
    Future.join(views)
        .onComplete(
            done -> {
              int agree = 1;
              int undecided = 0;
              for (Future<ArrayList<String>> view : views) {
                if (view.failed() || view.result().contains(lostUuid)) {
                  undecided++; // no answer yet, or its view still holds the lost node: ask again
                } else if (view.result().contains(selfUuid)) {
                  agree++;
                } // else it does not count this node a member any more: it never agrees
              }
              long now = System.nanoTime();
              if (agree >= quorum) {
                announce(lost);
              } else if (agree + undecided >= quorum && now < giveUp) {
                // A slow or unreachable member is asked again: a cut-off node stops once Hazelcast
                // removes the members it cannot reach (below quorum), a loaded majority member
                // answers in the end.
                vertx.setTimer(
                    now < fastUntil ? RETRY_MS : SLOW_RETRY_MS,
                    id -> confirm(event, lost, fastUntil, giveUp));
              } else if (agree + undecided >= quorum) {
                log.error(
                    "node_lost_unconfirmed node={} agree={} undecided={} quorum={}: not announcing"
                        + " its sessions",
                    lost,
                    agree,
                    undecided,
                    quorum);
              } else {
                belowQuorum(lost, agree);
              }
            });
  }

  private Future<ArrayList<String>> ask(Member member) {
    Promise<ArrayList<String>> view = Promise.promise();
    long timer = vertx.setTimer(PROBE_TIMEOUT_MS, id -> view.tryFail("no answer from " + member));
    executor.submitToMember(
        new ViewProbe(),
        member,
        new ExecutionCallback<ArrayList<String>>() {
          @Override
          public void onResponse(ArrayList<String> response) {
            vertx.cancelTimer(timer);
            view.tryComplete(response);
          }

          @Override
          public void onFailure(Throwable t) {
            vertx.cancelTimer(timer);
            view.tryFail(t);
          }
        });
    return view.future();
  }

  private void belowQuorum(String lost, int members) {
    log.warn(
        "node_lost_below_quorum node={} members={} quorum={}: not announcing its sessions",
        lost,
        members,
        quorum);
    mergeGuard.cutOff();
  }

  /**
   * Releases the lost node's entries a group of partitions at a time ({@link ReleaseGroups}), all
   * groups at once, and hands each group's closes to the event pipeline as soon as that group is
   * released: the survivors' partitions answer at once, the lost node's own only once their backups
   * are promoted, and their closes need not wait for those (issue 16).
   */
  private void announce(String lost) {
    long started = System.nanoTime();
    List<Future<Integer>> groups = new ArrayList<>();
    for (Set<String> group : directory.releaseGroups()) {
      groups.add(
          vertx
              .<Map<String, ? extends List<DirectoryEntry>>>executeBlocking(
                  () -> directory.releaseNode(lost, group), false)
              .compose(
                  released -> {
                    log.info(
                        "node_lost_released node={} partitions={} devices={} ms={}",
                        lost,
                        group.size(),
                        released.size(),
                        (System.nanoTime() - started) / 1_000_000);
                    return StopLeftovers.unannounced(pipeline.eventLog(), lost, released)
                        .recover(e -> everyOne(lost, released, e));
                  })
              .map(this::publish));
    }
    Future.join(groups)
        .onComplete(
            done -> {
              int announced = 0;
              for (Future<Integer> group : groups) {
                if (group.succeeded()) {
                  announced += group.result();
                } else {
                  log.error("node_lost_cleanup_failed node={}", lost, group.cause());
                }
              }
              log.info(
                  "node_lost node={} sessions_announced={} ms={}",
                  lost,
                  announced,
                  (System.nanoTime() - started) / 1_000_000);
            });
  }

  /**
   * Builds the {@code NODE_LOST} close of every released session and hands them to the pipeline a
   * full append (1,000) at a time while the rest are built, so that the first append and its
   * publication run meanwhile; returns how many.
   */
  private int publish(Map<String, ? extends List<DirectoryEntry>> released) {
    int announced = 0;
    List<JsonObject> closes = new ArrayList<>();
    for (Map.Entry<String, ? extends List<DirectoryEntry>> device : released.entrySet()) {
      for (DirectoryEntry entry : device.getValue()) {
        closes.add(entry.nodeLostEvent(device.getKey(), localNodeId, clock.millis()));
        if (closes.size() == EventPipeline.MAX_BATCH) {
          pipeline.publishAll(Addresses.CLOSED, closes);
          announced += closes.size();
          closes = new ArrayList<>();
        }
      }
    }
    pipeline.publishAll(Addresses.CLOSED, closes);
    return announced + closes.size();
  }

  /**
   * Every released session, when the log that tells which of a stop's marked sessions were
   * announced cannot be read: a second close for some is better than none for all.
   */
  static Future<Map<String, List<DirectoryEntry>>> everyOne(
      String lost, Map<String, ? extends List<DirectoryEntry>> released, Throwable cause) {
    log.error(
        "node_lost_log_unread node={}: announcing every released session, a stop's among them",
        lost,
        cause);
    Map<String, List<DirectoryEntry>> all = new java.util.LinkedHashMap<>();
    released.forEach((device, entries) -> all.put(device, List.copyOf(entries)));
    return Future.succeededFuture(all);
  }
}

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Fence;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does while it is cut off from its quorum, and when it has one again; keeps "one close
 * per session" and "at most one live session per device" across a split brain.
 *
 * <p>Cut off ({@link NodeLossWatch} found fewer members than the quorum): the node {@linkplain
 * Fence#cutOff refuses new sessions and withholds its close events} — its copies of the directory
 * and of the event log are its own now, so it cannot tell which closes the majority already
 * announced, and its sequence numbers would collide with the majority's. Once it has been cut off
 * for longer than failure detection ({@code endAfterMs}), the others have surely counted it lost
 * and announced its sessions {@code NODE_LOST}: it ends its sessions (closes withheld), so their
 * devices reconnect to the majority instead of talking to a node the cluster counts dead.
 *
 * <p>Quorum back (members came back, or Hazelcast merged this node into the larger half, {@code
 * MERGED}): local sessions the directory no longer names end; then every withheld close is
 * announced if, and only if, the cluster's event log has no close of that session ({@link
 * CutOffSessions#settleWithheld(boolean)}): a session the majority announced is silent here, one
 * nobody announced gets its one close. This holds on every node that goes through a merge, also on
 * one the others never counted lost (a half that split under load and merged into a woken node).
 * The sessions of nodes that left while nobody had a quorum are announced then too ({@link
 * OrphanSweep}).
 */
public final class MergeGuard implements LifecycleListener {

  private static final Logger log = LoggerFactory.getLogger(MergeGuard.class);

  /** Pause before trying again to settle withheld closes whose release failed. */
  static final long RETRY_MS = 1_000;

  private final Vertx vertx;
  private final SessionTable table;

  /** A device's directory entry, or null ({@link HazelcastDirectory#entry}). */
  private final Function<String, Future<DirectoryEntry>> lookup;

  private final Clock clock;
  private final Fence fence;
  private final long endAfterMs;
  private final OrphanSweep orphanSweep;

  /**
   * Counts the cuts and the rejoins, so that the timer of an earlier cut does not end the sessions
   * of a later, and the work of an earlier rejoin is not finished after a later cut.
   */
  private final AtomicLong cuts = new AtomicLong();

  private volatile long cutOffSince = Long.MAX_VALUE;

  private volatile Future<Void> reconciled = Future.succeededFuture();

  /**
   * @param fence the fence {@code table} was built with: cut off here while this node is below
   *     quorum
   * @param endAfterMs how long this node stays cut off before it ends its sessions: the cluster's
   *     failure detection, after which the others count this node lost
   */
  public MergeGuard(
      Vertx vertx,
      SessionTable table,
      HazelcastDirectory directory,
      Clock clock,
      Fence fence,
      long endAfterMs,
      OrphanSweep orphanSweep) {
    this(vertx, table, directory::entry, clock, fence, endAfterMs, orphanSweep);
  }

  /** As above, with the directory's lookups given (a test holds them in flight). */
  MergeGuard(
      Vertx vertx,
      SessionTable table,
      Function<String, Future<DirectoryEntry>> lookup,
      Clock clock,
      Fence fence,
      long endAfterMs,
      OrphanSweep orphanSweep) {
    this.vertx = vertx;
    this.table = table;
    this.lookup = lookup;
    this.clock = clock;
    this.fence = fence;
    this.endAfterMs = endAfterMs;
    this.orphanSweep = orphanSweep;
  }

  /**
   * Called by {@link NodeLossWatch} when this node finds itself below quorum: it refuses new
   * sessions and withholds closes until it sees a quorum again, and ends its sessions if that takes
   * longer than failure detection.
   */
  void cutOff() {
    fence.cutOff();
    if (cutOffSince == Long.MAX_VALUE) {
      cutOffSince = clock.millis();
      long cut = cuts.incrementAndGet();
      log.warn(
          "node_cut_off since={}: refusing new sessions and withholding closes until a quorum is"
              + " back; ending local sessions in {} ms",
          cutOffSince,
          endAfterMs);
      vertx.setTimer(endAfterMs, id -> endSessionsIfStillCutOff(cut));
    }
  }

  private void endSessionsIfStillCutOff(long cut) {
    if (fence.isCutOff() && cuts.get() == cut) {
      table
          .cutOff()
          .endAll(CloseReason.NODE_LOST)
          .onSuccess(ended -> log.warn("node_cut_off_sessions_ended count={}", ended));
    }
  }

  /** Whether this node is cut off from its quorum now. */
  boolean isCutOff() {
    return fence.isCutOff();
  }

  /** Called by {@link NodeLossWatch} when this node sees a quorum again. */
  void rejoined() {
    if (fence.isCutOff()) {
      quorumBack("members_back", false);
    } else {
      fence.lower();
    }
  }

  @Override
  public void stateChanged(LifecycleEvent event) {
    if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
      quorumBack("merged", true);
    }
  }

  /**
   * This node has a quorum again, because members came back to it or because Hazelcast merged it
   * into the larger half ({@code how}): it ends the local sessions the directory no longer names,
   * announces the withheld closes nobody else did, and the sessions of nodes that left meanwhile.
   *
   * @param dataIsTheClusters whether the directory this node sees now is the one of the half that
   *     had the quorum: true after this node merged into it; false when members joined this node,
   *     since a half that merges into this node brings its entries only after its members
   *     (Hazelcast merges the data once the members have joined), and until then this node's own
   *     copy, which names sessions the other half may have announced, would answer
   */
  private void quorumBack(String how, boolean dataIsTheClusters) {
    fence.lower();
    cutOffSince = Long.MAX_VALUE;
    long rejoin = cuts.incrementAndGet();
    reconcile(how, dataIsTheClusters, rejoin);
    vertx.setTimer(
        2 * endAfterMs,
        id -> {
          if (stillRejoined(rejoin)) {
            reconcile(how + "_again", true, rejoin);
          } else {
            log.warn("node_rejoined how={}_again skipped: cut off (or rejoined) again since", how);
          }
        });
  }

  /**
   * Whether this node still has the quorum it got back at {@code rejoin} (the count of {@link
   * #cuts} then): neither cut off nor rejoined again since. Every step of a rejoin's work checks
   * this once its asynchronous part has completed, not only when it starts: a cut-off node's
   * directory and event log are its own half's (seed 101 of the long chaos run: a settle that
   * started with the quorum and completed after the next partition had cut the node off announced 8
   * sessions the majority had just announced {@code NODE_LOST}). Work dropped here is the next
   * rejoin's: it looks up every local session again, settles every withheld close and sweeps again.
   */
  private boolean stillRejoined(long rejoin) {
    return !fence.isCutOff() && cuts.get() == rejoin;
  }

  /**
   * Ends the local sessions the directory no longer names and, if {@code announce}, settles the
   * withheld closes and sweeps the orphans; each step only while this node is {@linkplain
   * #stillRejoined still rejoined}.
   */
  private void reconcile(String how, boolean announce, long rejoin) {
    reconciled =
        table
            .sessions()
            .compose(this::orphans)
            .compose(
                orphans -> {
                  if (!stillRejoined(rejoin)) {
                    return Future.succeededFuture(false);
                  }
                  return table
                      .cutOff()
                      .settleAfterMerge(orphans)
                      .map(
                          ended -> {
                            log.warn("node_rejoined how={} sessions_ended={}", how, ended);
                            return true;
                          });
                })
            .recover(
                e -> {
                  log.error("node_rejoin_settle_failed", e);
                  return Future.succeededFuture(true);
                })
            .compose(
                goOn -> {
                  if (!goOn || !stillRejoined(rejoin)) {
                    log.warn(
                        "node_rejoined how={} abandoned: cut off (or rejoined) again before it"
                            + " completed; the next rejoin settles",
                        how);
                    return Future.succeededFuture();
                  }
                  if (!announce) {
                    return Future.succeededFuture();
                  }
                  return Future.join(settleWithheld(rejoin), orphanSweep.run()).mapEmpty();
                });
  }

  /**
   * Announces the withheld closes nobody announced ({@link CutOffSessions#settleWithheld}, which
   * itself keeps them if this node is cut off before it announces); tries again while some are left
   * and this node is still rejoined.
   */
  private Future<Integer> settleWithheld(long rejoin) {
    return table
        .cutOff()
        .settleWithheld(true)
        .onSuccess(announced -> log.info("withheld_closes_settled announced={}", announced))
        .compose(announced -> table.cutOff().withheldCount())
        .onSuccess(
            left -> {
              if (left > 0 && stillRejoined(rejoin)) {
                vertx.setTimer(
                    RETRY_MS,
                    id -> {
                      if (stillRejoined(rejoin)) {
                        settleWithheld(rejoin);
                      }
                    });
              }
            });
  }

  /** The last reconcile started, with its settle and sweep: for tests. */
  Future<Void> reconciled() {
    return reconciled;
  }

  /**
   * Why local session {@code sessionId} ends after a merge, given its device's directory {@code
   * entry}: not at all (null) while the entry names it; {@code TAKEN_OVER} where it names another
   * session of the device (the device's newer one); else {@code NODE_LOST} (the cluster counted
   * this node, or lost track of the session, during the split).
   */
  static CloseReason orphanReason(long sessionId, DirectoryEntry entry) {
    if (entry != null && entry.sessionId == sessionId) {
      return null;
    }
    return entry != null && entry.isHeld() ? CloseReason.TAKEN_OVER : CloseReason.NODE_LOST;
  }

  /** The local sessions the directory no longer names, with the reason of their close. */
  private Future<Map<Long, CloseReason>> orphans(List<Session> sessions) {
    List<Future<DirectoryEntry>> lookups =
        sessions.stream().map(s -> lookup.apply(s.deviceId())).toList();
    return Future.all(lookups)
        .map(
            all -> {
              Map<Long, CloseReason> orphans = new HashMap<>();
              for (int i = 0; i < sessions.size(); i++) {
                DirectoryEntry entry = all.resultAt(i);
                CloseReason reason = orphanReason(sessions.get(i).id(), entry);
                if (reason != null) {
                  orphans.put(sessions.get(i).id(), reason);
                }
              }
              return orphans;
            });
  }
}

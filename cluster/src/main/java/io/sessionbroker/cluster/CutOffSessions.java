package io.sessionbroker.cluster;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link SessionTable} does with its sessions while its node is cut off from its quorum
 * ({@link Fence#cutOff}) and once the quorum is back (docs/cluster.md, split brain): it ends them
 * ({@link #endAll}), withholds their closes, and settles those closes ({@link #settleWithheld}).
 *
 * <p>Cut off, neither the node's copy of the directory nor its event log is the cluster's: the
 * majority may already have announced a session {@code NODE_LOST}. So the table's close funnel
 * hands such a close here ({@link #withhold}) instead of publishing it, and {@link
 * #settleWithheld(boolean)} later publishes only those nobody announced: never one whose close is
 * in the cluster's event log ({@link LoggedCloses}); after a merge, every other one; otherwise (a
 * stop before the merge settled) those the directory still names. Everything here runs on the
 * table's thread ({@code executor}), as the table's own state does.
 */
public final class CutOffSessions {

  private static final Logger log = LoggerFactory.getLogger(CutOffSessions.class);

  private final SessionTable table;
  private final DeviceDirectory directory;
  private final SessionEvents events;
  private final Executor executor;

  /** The cluster's event log, where an announced close is found; null standalone. */
  private final EventLog eventLog;

  private List<Withheld> withheld = new ArrayList<>();

  /** A close withheld while cut off: the session, its reason and the time it ended. */
  private record Withheld(Session session, CloseReason reason, long at) {}

  CutOffSessions(
      SessionTable table,
      DeviceDirectory directory,
      SessionEvents events,
      Executor executor,
      EventLog eventLog) {
    this.table = table;
    this.directory = directory;
    this.events = events;
    this.executor = executor;
    this.eventLog = eventLog;
  }

  /** Keeps the close of {@code session}, which ended {@code at}; on the table's thread. */
  void withhold(Session session, CloseReason reason, long at) {
    withheld.add(new Withheld(session, reason, at));
  }

  /** Whether no close is withheld; on the table's thread. */
  boolean isEmpty() {
    return withheld.isEmpty();
  }

  /** How many closes are withheld; on the table's thread. */
  int size() {
    return withheld.size();
  }

  /**
   * Ends every session of this node with {@code reason}; while the node is cut off their closes are
   * withheld (see {@link #settleWithheld}). Used when a node has been cut off for longer than
   * failure detection: the others have counted it lost, so its devices should reconnect to them.
   *
   * @return the number of sessions ended
   */
  public Future<Integer> endAll(CloseReason reason) {
    return table.onTable(
        () -> {
          List<Session> open = table.byDevice().toList();
          for (Session session : open) {
            table.finish(session, reason);
          }
          return open.size();
        });
  }

  /**
   * After a split brain healed (this node rejoined, or Hazelcast merged its half), ends the local
   * sessions the cluster directory no longer names ({@code orphans}: session id and the reason of
   * its close) and withholds their closes: {@link #settleWithheld(boolean)} then announces those
   * nobody announced, and the majority's {@code NODE_LOST} stays the only close of the others.
   */
  public Future<Integer> settleAfterMerge(Map<Long, CloseReason> orphans) {
    return table.onTable(
        () -> {
          int ended = 0;
          for (Map.Entry<Long, CloseReason> orphan : orphans.entrySet()) {
            Session session = table.byId(orphan.getKey());
            if (session != null && session.state() == Session.State.OPEN) {
              table.finish(session, orphan.getValue(), true);
              ended++;
            }
          }
          return ended;
        });
  }

  /**
   * Announces the closes withheld while this node was cut off or ended by a merge, now that it has
   * a quorum again, or stops: marks each session's directory entry, announces, and releases the
   * entry once the close is in the event log (see {@link #settleAll}).
   *
   * <ul>
   *   <li>{@code afterMerge}: every one is announced whose close is not already in the cluster's
   *       event log (the majority's {@code NODE_LOST}). The directory is a merge of both halves'
   *       copies then and cannot tell (the chaos run found it naming sessions the majority had
   *       announced, and no longer naming sessions nobody had announced); the log keeps both
   *       halves' events, so what is not in it went out nowhere.
   *   <li>otherwise (a stop, maybe of a node whose merge has not settled yet): only those the
   *       directory still names, since the majority's close may be on its way to the log; the mark
   *       is atomic per entry, as the majority's release is, so exactly one of the majority's and
   *       this node's close goes out.
   * </ul>
   *
   * A close whose mark fails, or that needed the log when it could not be read, is kept for the
   * next call; so is every close a settle after a merge has not announced yet when it finds this
   * node cut off again ({@link #cutOffAgain}).
   *
   * @return the number of closes announced now
   */
  public Future<Integer> settleWithheld(boolean afterMerge) {
    return table
        .onTable(
            () -> {
              List<Withheld> pending = withheld;
              withheld = new ArrayList<>();
              Set<String> ids = new HashSet<>();
              pending.forEach(close -> ids.add(close.session().sessionId()));
              // Read only after a merge: a stop reads no log (a full ring is 100,000 events), and
              // the directory it trusts then is the cluster's (see above).
              Future<Set<String>> loggedCloses =
                  afterMerge ? LoggedCloses.among(eventLog, ids) : Future.succeededFuture(Set.of());
              return loggedCloses.transform(
                  logged -> {
                    if (logged.failed()) {
                      // Kept for the next call (MergeGuard tries again while any is left).
                      log.warn(
                          "withheld_closes_log_unread count={}", pending.size(), logged.cause());
                      executor.execute(() -> withheld.addAll(pending));
                      return Future.succeededFuture(0);
                    }
                    if (afterMerge && cutOffAgain()) {
                      log.warn(
                          "withheld_closes_kept count={}: cut off again while reading the log",
                          pending.size());
                      executor.execute(() -> withheld.addAll(pending));
                      return Future.succeededFuture(0);
                    }
                    return settleAll(pending, logged.result(), afterMerge);
                  });
            })
        .compose(announced -> announced);
  }

  /**
   * Marks each close's directory entry ({@link DeviceDirectory#closingAll}), announces those nobody
   * did, waits until their closes are in the event log, and only then releases their entries. The
   * other order (release, then announce) lost closes: a stop that ran past {@code Main}'s bound
   * (the long chaos run, 7,444 sessions) exited after releasing entries whose closes were still in
   * this node's pipeline, and with the entries gone no survivor announced them. Now a node that
   * dies half-way leaves each unreleased entry to the survivors' node-loss path, which announces it
   * unless the log has its close ({@code StopLeftovers}); exactly one close either way.
   *
   * <p>Marks and releases go a batch ({@link #BATCH}) at a time, all batches at once: one directory
   * operation per partition and batch, not per session (10,000 of them took 8.1 s at a stop of
   * 10,000 sessions), and each batch's closes go to the pipeline as soon as its marks answer. Logs
   * {@code withheld_settled} with the time of each phase.
   */
  private Future<Integer> settleAll(
      List<Withheld> pending, Set<String> logged, boolean afterMerge) {
    long start = System.nanoTime();
    List<Future<List<Withheld>>> marked = new ArrayList<>();
    for (List<Withheld> batch : batches(pending)) {
      Promise<List<Withheld>> settled = Promise.promise();
      marked.add(settled.future());
      directory
          .closingAll(ids(batch))
          .onComplete(
              marks ->
                  executor.execute(
                      () -> settled.complete(settleBatch(batch, marks, logged, afterMerge))));
    }
    return Future.join(marked)
        .transform(
            all -> {
              long markedAt = System.nanoTime();
              if (afterMerge && cutOffAgain()) {
                log.warn(
                    "withheld_closes_kept count={}: cut off again before announcing",
                    withheld.size());
              }
              List<Withheld> toRelease = new ArrayList<>();
              marked.forEach(batch -> toRelease.addAll(batch.result()));
              int announced =
                  (int)
                      toRelease.stream()
                          .filter(close -> !logged.contains(close.session().sessionId()))
                          .count();
              return events
                  .logged()
                  .compose(
                      v -> {
                        long loggedAt = System.nanoTime();
                        return releaseAll(toRelease)
                            .onComplete(
                                released ->
                                    log.info(
                                        "withheld_settled after_merge={} closes={} announced={}"
                                            + " marked_ms={} logged_ms={} released_ms={}",
                                        afterMerge,
                                        pending.size(),
                                        announced,
                                        millis(start, markedAt),
                                        millis(markedAt, loggedAt),
                                        millis(loggedAt, System.nanoTime())));
                      })
                  .map(v -> announced);
            });
  }

  /**
   * Closes per directory call: the cluster directory sends one operation per partition and call
   * (about 270), so a stop of up to 10,000 sessions marks them in one round; the pipeline still
   * appends its closes a thousand at a time.
   */
  static final int BATCH = 10_000;

  private static List<List<Withheld>> batches(List<Withheld> closes) {
    List<List<Withheld>> batches = new ArrayList<>();
    for (int from = 0; from < closes.size(); from += BATCH) {
      batches.add(closes.subList(from, Math.min(closes.size(), from + BATCH)));
    }
    return batches;
  }

  /** Device id by session id, as the directory's batch calls take them. */
  private static Map<Long, String> ids(List<Withheld> closes) {
    Map<Long, String> ids = new HashMap<>();
    closes.forEach(close -> ids.put(close.session().id(), close.session().deviceId()));
    return ids;
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  /**
   * Settles one batch whose marks answered ({@link #settle}); its closes go out in one append.
   * Returns those whose entries are to be released once their closes are in the log.
   */
  private List<Withheld> settleBatch(
      List<Withheld> batch, AsyncResult<Set<Long>> marks, Set<String> logged, boolean afterMerge) {
    List<Withheld> toRelease = new ArrayList<>();
    events.batch(
        () -> {
          for (Withheld close : batch) {
            AsyncResult<Boolean> mark =
                marks.failed()
                    ? Future.failedFuture(marks.cause())
                    : Future.succeededFuture(marks.result().contains(close.session().id()));
            if (settle(close, mark, logged, afterMerge) != null) {
              toRelease.add(close);
            }
          }
        });
    return toRelease;
  }

  /**
   * Announces {@code close} if nobody did; returns it if its entry is to be released once its close
   * is in the log, null if not (kept for the next call, or the entry names it no more).
   */
  private Withheld settle(
      Withheld close, AsyncResult<Boolean> marked, Set<String> logged, boolean afterMerge) {
    if (marked.failed()) {
      log.warn("withheld_close_unsettled device={}", close.session().deviceId(), marked.cause());
      withheld.add(close);
      return null;
    }
    if (afterMerge && cutOffAgain()) {
      // Kept: what the log said was read before this node was cut off again, and the majority
      // may have announced the session since; the next settle with a quorum reads it again.
      withheld.add(close);
      return null;
    }
    if (logged.contains(close.session().sessionId())) {
      log.debug("withheld_close_in_log device={}", close.session().deviceId());
      return close;
    }
    if (afterMerge || marked.result()) {
      events.closed(close.session(), close.reason(), close.at());
      return close;
    }
    log.debug("withheld_close_already_announced device={}", close.session().deviceId());
    return null;
  }

  /**
   * Releases the entries of closes now in the log; a release that fails leaves its entries marked,
   * which costs a survivor a read of the log when this node leaves, never a second close.
   */
  private Future<Void> releaseAll(List<Withheld> closes) {
    List<Future<Integer>> released = new ArrayList<>();
    for (List<Withheld> batch : batches(closes)) {
      released.add(
          directory
              .releaseAll(ids(batch))
              .onFailure(
                  e -> log.warn("withheld_close_release_failed closes={}", batch.size(), e)));
    }
    return Future.join(released).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }

  /**
   * Whether this node was cut off again while a settle after a merge was under way: its event log
   * and directory are then its own half's, which lack what the majority announces meanwhile (the
   * long chaos run, seed 101: a settle that completed on a node cut off again announced 8 sessions
   * the majority had just announced {@code NODE_LOST}). Such a settle announces nothing and keeps
   * its closes for the next one.
   */
  private boolean cutOffAgain() {
    return table.fence().isCutOff();
  }

  /** Closes withheld while cut off and not settled yet. */
  public Future<Integer> withheldCount() {
    return table.onTable(this::size);
  }
}

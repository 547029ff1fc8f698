package io.sessionbroker.cluster;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
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
 * hands such a close here ({@link #withhold}) instead of publishing it, and {@link #settleWithheld}
 * later publishes only those the cluster's directory still owes. Everything here runs on the
 * table's thread ({@code executor}), as the table's own state does.
 */
public final class CutOffSessions {

  private static final Logger log = LoggerFactory.getLogger(CutOffSessions.class);

  private final SessionTable table;
  private final DeviceDirectory directory;
  private final SessionEvents events;
  private final Executor executor;

  private List<Withheld> withheld = new ArrayList<>();

  /** A close withheld while cut off: the session, its reason and the time it ended. */
  private record Withheld(Session session, CloseReason reason, long at) {}

  CutOffSessions(
      SessionTable table, DeviceDirectory directory, SessionEvents events, Executor executor) {
    this.table = table;
    this.directory = directory;
    this.events = events;
    this.executor = executor;
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
   * After this node rejoins a cluster that counted it lost (split brain healed), ends the local
   * sessions the cluster directory no longer names ({@code orphans}, by session id) and withholds
   * their closes: {@link #settleWithheld} then announces only those the directory still owes (a
   * taken-over holder), and the majority's {@code NODE_LOST} stays the only close of the others.
   */
  public Future<Integer> settleAfterMerge(Set<Long> orphans) {
    return table.onTable(
        () -> {
          int ended = 0;
          for (long id : orphans) {
            Session session = table.byId(id);
            if (session != null && session.state() == Session.State.OPEN) {
              table.finish(session, CloseReason.NODE_LOST, true);
              ended++;
            }
          }
          return ended;
        });
  }

  /**
   * Announces the closes withheld while this node was cut off, now that it has a quorum again: each
   * only if the cluster's directory still names that session (as holder, or as a taken-over holder
   * owed a close), which it releases; a session the directory no longer names was announced by
   * another node ({@code NODE_LOST} by the majority) and stays silent here. A close whose release
   * fails is kept for the next call.
   *
   * @return the number of closes announced now
   */
  public Future<Integer> settleWithheld() {
    return table
        .onTable(
            () -> {
              List<Withheld> pending = withheld;
              withheld = new ArrayList<>();
              List<Future<Boolean>> settled = new ArrayList<>();
              for (Withheld close : pending) {
                Promise<Boolean> announced = Promise.promise();
                settled.add(announced.future());
                directory
                    .release(close.session().deviceId(), close.session().id())
                    .onComplete(
                        released ->
                            executor.execute(() -> announced.complete(settle(close, released))));
              }
              return Future.join(settled)
                  .map(
                      all ->
                          (int)
                              settled.stream()
                                  .filter(f -> Boolean.TRUE.equals(f.result()))
                                  .count());
            })
        .compose(announced -> announced);
  }

  private boolean settle(Withheld close, AsyncResult<Boolean> released) {
    if (released.failed()) {
      log.warn("withheld_close_unsettled device={}", close.session().deviceId(), released.cause());
      withheld.add(close);
      return false;
    }
    if (released.result()) {
      events.closed(close.session(), close.reason(), close.at());
      return true;
    }
    log.debug("withheld_close_already_announced device={}", close.session().deviceId());
    return false;
  }

  /** Closes withheld while cut off and not settled yet. */
  public Future<Integer> withheldCount() {
    return table.onTable(this::size);
  }
}

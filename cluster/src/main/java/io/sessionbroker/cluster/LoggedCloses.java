package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * Which sessions already have a close in the cluster's event log: what settles the closes a node
 * withheld through a split brain ({@link CutOffSessions#settleWithheld(boolean)}).
 *
 * <p>Why the log and not only the directory: after a split brain heals, the directory a node sees
 * is a merge of two halves' copies, entry by entry. The chaos runs found it wrong both ways: naming
 * sessions the majority had already announced {@code NODE_LOST} (a second close went out), and no
 * longer naming sessions of a node that nobody had counted lost (they ended with no close at all).
 * The event log keeps both halves' events through a merge ({@code EventLogMergePolicy}), so a close
 * announced anywhere is in it, as long as the ring has not overwritten it.
 *
 * <p>Survivors read it too, for the entries a stopping node marked {@code closing} and did not live
 * to release ({@code StopLeftovers}).
 */
public final class LoggedCloses {

  /** Events read per page: a Hazelcast ringbuffer reads at most 1,000 at a time. */
  static final int PAGE = 1_000;

  private LoggedCloses() {}

  /**
   * The ids among {@code sessionIds} (as in the events, {@link SessionIds#format}) that have a
   * {@code sessions.closed} event in {@code log}, read from its oldest entry to its end. No log
   * (standalone, where nothing is ever withheld): none.
   */
  public static Future<Set<String>> among(EventLog log, Set<String> sessionIds) {
    Set<String> found = new HashSet<>();
    if (log == null || sessionIds.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return readFrom(log, 0, sessionIds, found).map(done -> found);
  }

  private static Future<Void> readFrom(
      EventLog log, long from, Set<String> sessionIds, Set<String> found) {
    return log.read(from, PAGE)
        .compose(
            page -> {
              JsonArray events = page.getJsonArray("events");
              for (int i = 0; i < events.size(); i++) {
                JsonObject event = events.getJsonObject(i);
                if (Addresses.CLOSED.equals(event.getString("address"))) {
                  String id = event.getJsonObject("body").getString("sessionId");
                  if (sessionIds.contains(id)) {
                    found.add(id);
                  }
                }
              }
              long next = page.getLong("nextSeq");
              // The end: nothing more to read. (Events appended meanwhile are read too; the log
              // grows far slower than a page a round trip.)
              if (events.isEmpty() || next <= from) {
                return Future.succeededFuture();
              }
              return readFrom(log, next, sessionIds, found);
            });
  }
}

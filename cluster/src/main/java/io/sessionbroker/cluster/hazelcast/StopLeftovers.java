package io.sessionbroker.cluster.hazelcast;

import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.cluster.LoggedCloses;
import io.sessionbroker.cluster.SessionIds;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a survivor announces of the entries it released for a node that is gone: all of them, except
 * those the node's own stop had marked {@link DirectoryEntry#closing} and whose close is in the
 * event log. A stopping node marks an entry, hands its close to the pipeline, and releases the
 * entry once the close is in the log; a node that dies in between (its stop ran past {@code Main}'s
 * bound, or it was killed) leaves marked entries, some with their close in the log and some
 * without. Only the marked ones are looked up: a crash with no stop marks nothing and costs no read
 * of the log (a full ring is 100 pages).
 */
final class StopLeftovers {

  private static final Logger log = LoggerFactory.getLogger(StopLeftovers.class);

  private StopLeftovers() {}

  /**
   * {@code released} (entries by device) without the marked ones whose close is in {@code
   * eventLog}. Fails if the log cannot be read: a survivor must not guess (the caller logs it).
   */
  static Future<Map<String, List<DirectoryEntry>>> unannounced(
      EventLog eventLog, String lostNode, Map<String, ? extends List<DirectoryEntry>> released) {
    Set<String> marked = new HashSet<>();
    released.values().forEach(entries -> entries.forEach(e -> addIfMarked(e, marked)));
    Map<String, List<DirectoryEntry>> all = new LinkedHashMap<>();
    released.forEach((device, entries) -> all.put(device, List.copyOf(entries)));
    if (marked.isEmpty()) {
      return Future.succeededFuture(all);
    }
    return LoggedCloses.among(eventLog, marked)
        .map(
            inLog -> {
              Map<String, List<DirectoryEntry>> left = new LinkedHashMap<>();
              all.forEach(
                  (device, entries) -> {
                    List<DirectoryEntry> keep = new ArrayList<>();
                    for (DirectoryEntry entry : entries) {
                      if (!inLog.contains(SessionIds.format(entry.sessionId))) {
                        keep.add(entry);
                      }
                    }
                    if (!keep.isEmpty()) {
                      left.put(device, keep);
                    }
                  });
              log.warn(
                  "node_lost_stop_unfinished node={} closing={} closes_in_log={}: its stop ended"
                      + " before releasing these; the rest are announced NODE_LOST",
                  lostNode,
                  marked.size(),
                  inLog.size());
              return left;
            });
  }

  private static void addIfMarked(DirectoryEntry entry, Set<String> marked) {
    if (entry.closing) {
      marked.add(SessionIds.format(entry.sessionId));
    }
  }
}

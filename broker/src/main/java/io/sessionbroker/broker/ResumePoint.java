package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;

/**
 * Where {@code watch} resumes in the broker's event log ({@code sessions.admin.events}) after a
 * lost connection: after the newest event it has seen, identified by its {@code seq} and by what it
 * was (address, session, device, time), so that a log which holds another event at that seq — a new
 * log, after a standalone broker's restart — is recognised and replayed from its start.
 */
final class ResumePoint {

  /** The seq after the newest event seen. */
  private long next;

  /** The newest event seen with a seq, as much of it as identifies it; null before the first. */
  private JsonObject last;

  /**
   * @param next the log's next seq when watching began
   */
  ResumePoint(long next) {
    this.next = next;
  }

  /**
   * Where the replay starts: after the last event printed, if the log still holds that event as it
   * was printed. A log that holds another event at its seq (or ends before it) is a new log — a
   * standalone broker keeps its log in memory, and restarted — and is replayed from its start.
   */
  long from(BridgeClient client, PrintWriter err) throws IOException, InterruptedException {
    if (last == null) {
      JsonObject end = read(client, Long.MAX_VALUE, 1);
      return end.getLong("nextSeq") < next ? end.getLong("oldestSeq") : next;
    }
    long lastSeq = last.getLong("seq");
    JsonObject page = read(client, lastSeq, 1);
    JsonArray events = page.getJsonArray("events");
    if (!events.isEmpty() && sameEvent(events.getJsonObject(0), last)) {
      return lastSeq + 1;
    }
    long oldest = page.getLong("oldestSeq");
    if (page.getBoolean("gap", false) && page.getLong("nextSeq") > lastSeq) {
      err.println(
          "broker: watch: events "
              + (lastSeq + 1)
              + " to "
              + (oldest - 1)
              + " are no longer in the log: missed");
    } else {
      err.println(
          "watch: the broker's event log is not the one watched before (a standalone broker"
              + " restarted): replaying it from its start");
    }
    return oldest;
  }

  static JsonObject read(BridgeClient client, long fromSeq, int max)
      throws IOException, InterruptedException {
    return client.request(
        Addresses.ADMIN_EVENTS,
        new JsonObject().put("fromSeq", fromSeq).put("max", max),
        Duration.ofSeconds(10));
  }

  /** Remembers the newest event with a seq: where the next replay resumes. */
  void seen(String address, Object body) {
    if (body instanceof JsonObject event && event.getValue("seq") instanceof Number seq) {
      if (seq.longValue() >= next) {
        next = seq.longValue() + 1;
        last =
            new JsonObject()
                .put("seq", seq.longValue())
                .put("address", address)
                .put("sessionId", event.getValue("sessionId"))
                .put("deviceId", event.getValue("deviceId"))
                .put("at", event.getValue("at"));
      }
    }
  }

  private static boolean sameEvent(JsonObject entry, JsonObject last) {
    JsonObject body = entry.getJsonObject("body", new JsonObject());
    return last.getValue("address").equals(entry.getString("address"))
        && Objects.equals(last.getValue("sessionId"), body.getValue("sessionId"))
        && Objects.equals(last.getValue("deviceId"), body.getValue("deviceId"))
        && Objects.equals(last.getValue("at"), body.getValue("at"));
  }
}

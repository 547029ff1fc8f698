package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;

/** The standalone event log: the last {@code capacity} entries in memory, numbered from 0. */
public final class LocalEventLog implements EventLog {

  private final int capacity;
  private final ArrayDeque<JsonObject> entries = new ArrayDeque<>();
  private long nextSeq;

  public LocalEventLog(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0");
    }
    this.capacity = capacity;
  }

  @Override
  public synchronized Future<Long> append(List<JsonObject> batch) {
    long first = nextSeq;
    for (JsonObject entry : batch) {
      if (entries.size() == capacity) {
        entries.removeFirst();
      }
      entries.addLast(entry.copy().put("seq", nextSeq++));
    }
    return Future.succeededFuture(first);
  }

  @Override
  public synchronized Future<JsonObject> read(long fromSeq, int max) {
    long oldest = nextSeq - entries.size();
    long from = Math.max(fromSeq, oldest);
    JsonArray events = new JsonArray();
    for (JsonObject entry : entries) {
      if (entry.getLong("seq") >= from && events.size() < max) {
        events.add(entry);
      }
    }
    return Future.succeededFuture(new JsonObject()
        .put("events", events)
        .put("nextSeq", from + events.size())
        .put("oldestSeq", oldest)
        .put("gap", fromSeq < oldest));
  }
}

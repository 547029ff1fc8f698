package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The standalone event log: the last {@code capacity} entries in memory, numbered from 0. Entries
 * are kept encoded (a JSON buffer of ~300 bytes) in a ring, not as {@code JsonObject} trees (~1 KB
 * each): 10,000 of them are ~3 MB instead of ~10 MB of a broker's resident memory.
 */
public final class LocalEventLog implements EventLog {

  private final Buffer[] ring;
  private long nextSeq;

  public LocalEventLog(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0");
    }
    this.ring = new Buffer[capacity];
  }

  @Override
  public synchronized Future<Long> append(List<JsonObject> batch) {
    long first = nextSeq;
    for (JsonObject entry : batch) {
      ring[slot(nextSeq)] =
          new JsonObject()
              .put("seq", nextSeq)
              .put("address", entry.getValue("address"))
              .put("body", entry.getValue("body"))
              .toBuffer();
      nextSeq++;
    }
    return Future.succeededFuture(first);
  }

  @Override
  public synchronized Future<JsonObject> read(long fromSeq, int max) {
    long oldest = Math.max(0, nextSeq - ring.length);
    long from = Math.min(Math.max(fromSeq, oldest), nextSeq);
    long to = Math.min(nextSeq, from + Math.max(0, max));
    JsonArray events = new JsonArray();
    for (long seq = from; seq < to; seq++) {
      events.add(new JsonObject(ring[slot(seq)]));
    }
    return Future.succeededFuture(
        new JsonObject()
            .put("events", events)
            .put("nextSeq", to)
            .put("oldestSeq", oldest)
            .put("gap", fromSeq < oldest));
  }

  private int slot(long seq) {
    return (int) (seq % ring.length);
  }
}

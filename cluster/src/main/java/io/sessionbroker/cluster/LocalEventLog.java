package io.sessionbroker.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.util.List;

/**
 * The standalone event log: the last {@code capacity} entries in memory, numbered from 0. An entry
 * is kept as its address and its body's JSON bytes (~200 of them), not as a {@code JsonObject} tree
 * (~1 KB): 10,000 of them are ~2 MB instead of ~10 MB of a broker's resident memory. Its sequence
 * number is its place in the ring and its address a reference to the publisher's string, so neither
 * is stored per entry; a read puts the three together again.
 *
 * <p>Why bytes straight from Jackson ({@link DatabindCodec#mapper()}, the codec Vert.x itself
 * encodes with): {@code JsonObject.toBuffer().getBytes()} of a {@code {seq, address, body}} wrapper
 * built a map per entry and copied the same bytes three times (Jackson's array, the buffer's, the
 * bare array). Issue 17: the log took two fifths of what the session table's thread allocated in a
 * reconnect storm, and ~50 bytes of every entry were its sequence number and address (24 B of every
 * session's share of the live heap at 19,000 sessions).
 */
public final class LocalEventLog implements EventLog {

  private final String[] addresses;
  private final byte[][] bodies;
  private long nextSeq;

  public LocalEventLog(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0");
    }
    this.addresses = new String[capacity];
    this.bodies = new byte[capacity][];
  }

  @Override
  public synchronized Future<Long> append(List<JsonObject> batch) {
    long first = nextSeq;
    for (JsonObject entry : batch) {
      int slot = slot(nextSeq);
      addresses[slot] = entry.getString("address");
      bodies[slot] = encode(entry.getValue("body"));
      nextSeq++;
    }
    return Future.succeededFuture(first);
  }

  @Override
  public synchronized Future<JsonObject> read(long fromSeq, int max) {
    long oldest = Math.max(0, nextSeq - bodies.length);
    long from = Math.min(Math.max(fromSeq, oldest), nextSeq);
    long to = Math.min(nextSeq, from + Math.max(0, max));
    JsonArray events = new JsonArray();
    for (long seq = from; seq < to; seq++) {
      int slot = slot(seq);
      events.add(
          new JsonObject()
              .put("seq", seq)
              .put("address", addresses[slot])
              .put("body", Json.decodeValue(Buffer.buffer(bodies[slot]))));
    }
    return Future.succeededFuture(
        new JsonObject()
            .put("events", events)
            .put("nextSeq", to)
            .put("oldestSeq", oldest)
            .put("gap", fromSeq < oldest));
  }

  private static byte[] encode(Object body) {
    try {
      return DatabindCodec.mapper().writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new EncodeException("event body is not JSON: " + e.getMessage(), e);
    }
  }

  private int slot(long seq) {
    return (int) (seq % bodies.length);
  }
}

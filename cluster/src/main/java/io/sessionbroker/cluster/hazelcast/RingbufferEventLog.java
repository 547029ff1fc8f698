package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.ringbuffer.StaleSequenceException;
import io.sessionbroker.cluster.EventLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The cluster-wide event log: a Hazelcast ringbuffer ({@code sessions.events}, capacity in
 * conf/cluster.xml). Its sequence numbers are the events' cluster-wide {@code seq}. A batch is one
 * operation on the ringbuffer's partition, so its sequence numbers are contiguous.
 */
public final class RingbufferEventLog implements EventLog {

  public static final String NAME = "sessions.events";

  private final Ringbuffer<String> ringbuffer;

  public RingbufferEventLog(HazelcastInstance hazelcast) {
    this.ringbuffer = hazelcast.getRingbuffer(NAME);
  }

  @Override
  public Future<Long> append(List<JsonObject> entries) {
    List<String> encoded = entries.stream().map(JsonObject::encode).toList();
    return Future.fromCompletionStage(ringbuffer.addAllAsync(encoded, OverflowPolicy.OVERWRITE))
        .map(last -> last - encoded.size() + 1);
  }

  @Override
  public Future<JsonObject> read(long fromSeq, int max) {
    long oldest = ringbuffer.headSequence();
    long next = ringbuffer.tailSequence() + 1;
    long from = Math.min(Math.max(fromSeq, oldest), next);
    if (from == next) {
      return Future.succeededFuture(page(new JsonArray(), next, oldest, fromSeq < oldest));
    }
    // Hazelcast refuses to read more than the ring holds (IllegalArgumentException, thrown, not
    // failed).
    int count = (int) Math.min(max, ringbuffer.capacity());
    return Future.fromCompletionStage(ringbuffer.readManyAsync(from, 0, count, null))
        .map(read -> page(events(read), read.getNextSequenceToReadFrom(), oldest, fromSeq < oldest))
        .recover(
            e ->
                e instanceof StaleSequenceException
                        || e.getCause() instanceof StaleSequenceException
                    // Overwritten between reading the head and reading the events: start again from
                    // the new head.
                    ? read(ringbuffer.headSequence(), max).map(page -> page.put("gap", true))
                    : Future.failedFuture(e));
  }

  private static JsonArray events(ReadResultSet<String> read) {
    JsonArray events = new JsonArray();
    for (int i = 0; i < read.size(); i++) {
      events.add(new JsonObject(read.get(i)).put("seq", read.getSequence(i)));
    }
    return events;
  }

  private static JsonObject page(JsonArray events, long nextSeq, long oldest, boolean gap) {
    return new JsonObject()
        .put("events", events)
        .put("nextSeq", nextSeq)
        .put("oldestSeq", oldest)
        .put("gap", gap);
  }
}

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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster-wide event log: a Hazelcast ringbuffer ({@code sessions.events}, capacity in
 * conf/cluster.xml). Its sequence numbers are the events' cluster-wide {@code seq}. A batch is one
 * operation on the ringbuffer's partition, so its sequence numbers are contiguous.
 */
public final class RingbufferEventLog implements EventLog {

  public static final String NAME = "sessions.events";

  /** How far back a read looks for a second copy of a batch: the event pipeline's largest batch. */
  static final int LOOKBACK = 1_000;

  /**
   * The field of a stored entry that names its append ({@code <node's random id>/<append>/<index in
   * the batch>}); a read drops it. It tells a retried append's copy (the same entry, sent again by
   * Hazelcast) from two equal events appended apart (a device rejected twice within the same
   * millisecond from the same address and port), which the reader must both show.
   */
  static final String APPEND = "append";

  private final Ringbuffer<String> ringbuffer;
  private final String appender = UUID.randomUUID().toString();
  private final AtomicLong appends = new AtomicLong();

  public RingbufferEventLog(HazelcastInstance hazelcast) {
    this.ringbuffer = hazelcast.getRingbuffer(NAME);
  }

  @Override
  public Future<Long> append(List<JsonObject> entries) {
    String append = appender + "/" + appends.incrementAndGet() + "/";
    List<String> encoded = new ArrayList<>(entries.size());
    for (JsonObject entry : entries) {
      // The entry with its APPEND field last, as entry.copy().put(APPEND, id).encode() writes it,
      // without a deep copy of every event (a node loss appends 10,000 at once); the id is a UUID,
      // digits and slashes: nothing that JSON escapes.
      String field = "\"" + APPEND + "\":\"" + append + encoded.size() + "\"}";
      String json = entry.encode();
      encoded.add(
          entry.isEmpty() ? "{" + field : json.substring(0, json.length() - 1) + "," + field);
    }
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
    return readBefore(from, oldest)
        .compose(
            seen ->
                Future.fromCompletionStage(ringbuffer.readManyAsync(from, 0, count, null))
                    .map(
                        read ->
                            page(
                                events(read, seen),
                                read.getNextSequenceToReadFrom(),
                                oldest,
                                fromSeq < oldest)))
        .recover(
            e ->
                e instanceof StaleSequenceException
                        || e.getCause() instanceof StaleSequenceException
                    // Overwritten between reading the head and reading the events: start again from
                    // the new head.
                    ? read(ringbuffer.headSequence(), max).map(page -> page.put("gap", true))
                    : Future.failedFuture(e));
  }

  /**
   * The entries stored in the {@link #LOOKBACK} sequences before {@code from}. Hazelcast retries an
   * operation whose member left before it answered ({@code MemberLeftException} is retryable): an
   * append that the dying owner had applied and backed up is applied again by the new owner, and
   * the batch is stored twice, the copy within a batch's length of the original. Every stored entry
   * is unique (it names its append, {@link #APPEND}), so a reader skips an entry equal to one it
   * has seen within that distance: a replay shows each event once, as the event bus delivered it.
   * (Found by {@code ChaosIT}: "opened twice" in the log after a SIGKILL, while every subscriber
   * got it once.)
   */
  private Future<Set<String>> readBefore(long from, long oldest) {
    long start = Math.max(oldest, from - LOOKBACK);
    if (start >= from) {
      return Future.succeededFuture(new HashSet<>());
    }
    return Future.fromCompletionStage(
            ringbuffer.readManyAsync(start, 0, (int) (from - start), null))
        .map(
            read -> {
              Set<String> seen = new HashSet<>();
              for (int i = 0; i < read.size() && read.getSequence(i) < from; i++) {
                seen.add(read.get(i));
              }
              return seen;
            });
  }

  private static JsonArray events(ReadResultSet<String> read, Set<String> seen) {
    JsonArray events = new JsonArray();
    for (int i = 0; i < read.size(); i++) {
      if (seen.add(read.get(i))) {
        JsonObject event = new JsonObject(read.get(i));
        event.remove(APPEND);
        events.add(event.put("seq", read.getSequence(i)));
      }
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

package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A bounded, replayable, sequence-numbered log of session events, so a subscriber that was away
 * resumes from the last sequence it saw without a gap ({@code sessions.admin.events}). Standalone
 * it lives in this process ({@link LocalEventLog}); clustered it is a Hazelcast ringbuffer shared
 * by every node, and its sequence is the cluster-wide {@code seq} of each event.
 */
public interface EventLog {

  /**
   * Appends entries in order; the future holds the sequence number of the first, the rest follow
   * it.
   */
  Future<Long> append(List<JsonObject> entries);

  /**
   * Up to {@code max} entries from sequence {@code fromSeq} on.
   *
   * @return {@code {"events":[{"seq":…,"address":…,"body":…}…], "nextSeq":n, "oldestSeq":o}}; when
   *     {@code fromSeq} is older than the oldest entry kept, the reply starts at {@code oldestSeq}
   *     and says {@code "gap":true}
   */
  Future<JsonObject> read(long fromSeq, int max);
}

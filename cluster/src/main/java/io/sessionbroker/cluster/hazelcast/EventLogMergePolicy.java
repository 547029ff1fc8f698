package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.RingbufferMergeData;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.spi.merge.SplitBrainMergeTypes.RingbufferMergeTypes;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the halves of a split brain merge the event log ({@code sessions.events}, set in
 * conf/cluster.xml): the log that went further stays as it is, and the events only the other half
 * logged are appended to it, with new sequence numbers.
 *
 * <p>Both halves log during a split: the majority its {@code NODE_LOST} closes and its devices'
 * opens, and the cut-off node what happened on it before it found itself cut off (its devices'
 * opens and closes during failure detection; a node that lost every copy of the log's partition
 * starts a new log at {@code seq} 0 for them). Each half also published those events on its event
 * bus, so keeping one half's log whole (the longer, as this policy did before) lost the other's
 * from the replay: the chaos run saw thousands of sessions without a close in the log, and closes
 * whose open was missing. Events are unique (a session id, an address, a time), so an event of the
 * other half that the kept log holds is common history and skipped; one older than everything the
 * kept log still holds is history the ring has overwritten since, and skipped too.
 */
public final class EventLogMergePolicy
    implements SplitBrainMergePolicy<
        RingbufferMergeData, RingbufferMergeTypes, RingbufferMergeData> {

  private static final Logger log = LoggerFactory.getLogger(EventLogMergePolicy.class);

  @Override
  public RingbufferMergeData merge(RingbufferMergeTypes merging, RingbufferMergeTypes existing) {
    if (existing == null) {
      return raw(merging);
    }
    if (merging == null) {
      return raw(existing);
    }
    boolean mergingIsLonger = raw(merging).getTailSequence() > raw(existing).getTailSequence();
    RingbufferMergeTypes kept = mergingIsLonger ? merging : existing;
    RingbufferMergeTypes other = mergingIsLonger ? existing : merging;
    return union(raw(kept), kept.getValue(), raw(other), other.getValue());
  }

  /**
   * {@code kept} with the events of {@code other} it lacks appended, in {@code other}'s order.
   *
   * @param keptRaw the kept log as stored (serialized items); {@code keptEvents} the same log with
   *     its items deserialized (the encoded JSON events); likewise {@code otherRaw} and {@code
   *     otherEvents}
   */
  static RingbufferMergeData union(
      RingbufferMergeData keptRaw,
      RingbufferMergeData keptEvents,
      RingbufferMergeData otherRaw,
      RingbufferMergeData otherEvents) {
    // A copy: the raw data of a local log is the live ring's own array.
    RingbufferMergeData result = new RingbufferMergeData(keptRaw.getCapacity());
    result.setHeadSequence(keptRaw.getHeadSequence());
    result.setTailSequence(keptRaw.getTailSequence());
    Set<String> held = new HashSet<>();
    long oldest = Long.MAX_VALUE;
    for (long seq = keptRaw.getHeadSequence(); seq <= keptRaw.getTailSequence(); seq++) {
      result.set(seq, keptRaw.read(seq));
      String event = keptEvents.read(seq);
      held.add(event);
      oldest = Math.min(oldest, at(event));
    }
    int added = 0;
    for (long seq = otherRaw.getHeadSequence(); seq <= otherRaw.getTailSequence(); seq++) {
      String event = otherEvents.read(seq);
      if (!held.contains(event) && at(event) >= oldest) {
        result.add(otherRaw.read(seq));
        added++;
      }
    }
    log.warn(
        "event_log_merged kept_to_seq={} added={} (events only the other half logged, now from"
            + " seq {})",
        keptRaw.getTailSequence(),
        added,
        keptRaw.getTailSequence() + 1);
    return result;
  }

  /** When the event happened ({@code body.at}); an entry without one counts as new. */
  private static long at(String event) {
    JsonObject body = new JsonObject(event).getJsonObject("body");
    Long at = body == null ? null : body.getLong("at");
    return at == null ? Long.MAX_VALUE : at;
  }

  /** The log as the ringbuffer service hands it (its items still serialized). */
  private static RingbufferMergeData raw(RingbufferMergeTypes log) {
    return (RingbufferMergeData) log.getRawValue();
  }

  @Override
  public void writeData(ObjectDataOutput out) {
    // no state
  }

  @Override
  public void readData(ObjectDataInput in) {
    // no state
  }
}

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

  /**
   * How many entries from the kept log's head set the time a log wholly before it must beat to be
   * new: a batch's worth, so that a burst logged within one millisecond counts as one time.
   */
  static final int HEAD_WINDOW = 1_000;

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
   * <p>Which of {@code other}'s events are new: the halves share their history up to the split, at
   * the same sequence numbers, so where the two logs overlap, the last sequence holding the same
   * entry in both marks the split, and only what {@code other} holds after it is new. Where they do
   * not overlap, {@code other} lies wholly before the kept log's oldest entry: it is either a stale
   * copy (history the kept ring has overwritten since: nothing new) or a log that half started
   * afresh at 0 during the split (all new); its entries newer than everything near the kept log's
   * head tell which. (An earlier version compared every entry's time with the kept log's oldest; a
   * burst logged within one millisecond straddled that bound, and the long chaos run found 1,842
   * opens appended a second time, 100,000 sequences after the first.)
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
    for (long seq = keptRaw.getHeadSequence(); seq <= keptRaw.getTailSequence(); seq++) {
      result.set(seq, keptRaw.read(seq));
      held.add(keptEvents.read(seq));
    }
    long newFrom = firstNew(keptEvents, otherEvents);
    int added = 0;
    for (long seq = Math.max(newFrom, otherRaw.getHeadSequence());
        seq <= otherRaw.getTailSequence();
        seq++) {
      if (!held.contains((String) otherEvents.read(seq))) {
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

  /** The first sequence of {@code other} that may hold an event {@code kept} lacks. */
  private static long firstNew(RingbufferMergeData kept, RingbufferMergeData other) {
    long from = Math.max(kept.getHeadSequence(), other.getHeadSequence());
    long to = Math.min(kept.getTailSequence(), other.getTailSequence());
    if (from <= to) {
      for (long seq = to; seq >= from; seq--) {
        if (kept.read(seq).equals(other.read(seq))) {
          return seq + 1; // the split: shared history up to here
        }
      }
      return other.getHeadSequence(); // no shared entry: a log of that half's own
    }
    if (other.getHeadSequence() > kept.getTailSequence()) {
      return other.getHeadSequence();
    }
    // other lies wholly before the kept log: new only if newer than what the kept log began with
    long keptBegan = Long.MIN_VALUE;
    for (long seq = kept.getHeadSequence();
        seq <= Math.min(kept.getTailSequence(), kept.getHeadSequence() + HEAD_WINDOW);
        seq++) {
      keptBegan = Math.max(keptBegan, at(kept.read(seq)));
    }
    for (long seq = other.getHeadSequence(); seq <= other.getTailSequence(); seq++) {
      if (at(other.read(seq)) > keptBegan) {
        return seq;
      }
    }
    return other.getTailSequence() + 1;
  }

  /** When the event happened ({@code body.at}); an entry without one counts as old. */
  private static long at(String event) {
    JsonObject body = new JsonObject(event).getJsonObject("body");
    Long at = body == null ? null : body.getLong("at");
    return at == null ? Long.MIN_VALUE : at;
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

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.RingbufferMergeData;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.spi.merge.SplitBrainMergeTypes.RingbufferMergeTypes;
import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 *
 * <p>Order: each half's events keep their order, and each session's open comes before its close (a
 * close of the kept half whose open only the other half logged trades places with that open). The
 * merged log does not interleave the halves by time: the other half's events all follow the kept
 * half's, whenever they happened.
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

  /** {@code Addresses.OPENED} and {@code CLOSED}, as the event pipeline logs them. */
  private static final String OPENED = Addresses.OPENED;

  private static final String CLOSED = Addresses.CLOSED;

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
    List<Object> added = new ArrayList<>();
    Map<String, Integer> opensAdded = new HashMap<>();
    for (long seq = Math.max(newFrom, otherRaw.getHeadSequence());
        seq <= otherRaw.getTailSequence();
        seq++) {
      String event = otherEvents.read(seq);
      if (!held.contains(event)) {
        String opened = sessionOf(event, OPENED);
        if (opened != null) {
          opensAdded.putIfAbsent(opened, added.size());
        }
        added.add(otherRaw.read(seq));
      }
    }
    int moved = openBeforeClose(result, keptEvents, added, opensAdded);
    added.forEach(result::add);
    log.warn(
        "event_log_merged kept_to_seq={} added={} closes_moved_after_their_open={} (events only"
            + " the other half logged, now from seq {})",
        keptRaw.getTailSequence(),
        added.size(),
        moved,
        keptRaw.getTailSequence() + 1);
    return result;
  }

  /**
   * Puts each session's open before its close: a close the kept log holds whose open only the other
   * half logged (the session opened on one side of the split and was closed on the other: the
   * majority announced it {@code NODE_LOST}) trades places with that open, which is about to be
   * appended. The open takes the close's {@code seq} and the close the open's place at the end, so
   * every other event keeps its position: the kept half's {@code seq} stay valid but for these.
   * (Appending alone left 333 closes before their open in the long chaos run.)
   *
   * @param result the merged log so far (the kept log); {@code added} the other half's new events,
   *     in its order, about to be appended; {@code opensAdded} the index in {@code added} of each
   *     session's open
   * @return how many closes moved
   */
  private static int openBeforeClose(
      RingbufferMergeData result,
      RingbufferMergeData keptEvents,
      List<Object> added,
      Map<String, Integer> opensAdded) {
    int moved = 0;
    for (long seq = keptEvents.getHeadSequence();
        seq <= keptEvents.getTailSequence() && !opensAdded.isEmpty();
        seq++) {
      String closed = sessionOf(keptEvents.read(seq), CLOSED);
      Integer open = closed == null ? null : opensAdded.remove(closed);
      if (open != null) {
        Object close = result.read(seq);
        result.set(seq, added.get(open));
        added.set(open, close);
        moved++;
      }
    }
    return moved;
  }

  /**
   * The session id of {@code event} if it was published on {@code address}, else null; the address
   * is checked on the encoded text first, so that the kept log's other events are not parsed.
   */
  private static String sessionOf(String event, String address) {
    if (!event.contains("\"" + address + "\"")) {
      return null;
    }
    JsonObject entry = new JsonObject(event);
    JsonObject body = entry.getJsonObject("body");
    return address.equals(entry.getString("address")) && body != null
        ? body.getString("sessionId")
        : null;
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

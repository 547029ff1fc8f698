package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.RingbufferMergeData;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.spi.merge.SplitBrainMergeTypes.RingbufferMergeTypes;

/**
 * How the halves of a split brain merge the event log ({@code sessions.events}, set in
 * conf/cluster.xml): the log that went further wins, whole. A cut-off node withholds its events
 * (docs/cluster.md, split brain), so its copy of the log stops where it was cut off, and the
 * majority's went on; with Hazelcast's default (the target half's log stays) a merge into the
 * cut-off node would have set every subscriber's {@code seq} back.
 */
public final class LongerLogMergePolicy
    implements SplitBrainMergePolicy<
        RingbufferMergeData, RingbufferMergeTypes, RingbufferMergeData> {

  @Override
  public RingbufferMergeData merge(RingbufferMergeTypes merging, RingbufferMergeTypes existing) {
    if (existing == null) {
      return raw(merging);
    }
    if (merging == null) {
      return raw(existing);
    }
    return raw(merging).getTailSequence() > raw(existing).getTailSequence()
        ? raw(merging)
        : raw(existing);
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

package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * How the halves of a split brain merge the directory ({@code sessions.directory}, set in
 * conf/cluster.xml): of the two entries of one device, the newer wins — the higher epoch (each
 * claim raises it), and at the same epoch the entry with no holder (a release comes after the claim
 * it ends) and then the one owing fewer closes (each release removes one).
 *
 * <p>Why not Hazelcast's default (put if absent, the target half's entry stays): which half is the
 * target depends on member counts and addresses, not on who is right. When a frozen node woke up,
 * the other two split from each other under load and merged into it, one by one: its stale copy —
 * naming its own sessions, which the majority had announced {@code NODE_LOST}, and not the devices'
 * newer sessions on the others — would have won.
 */
public final class NewerEntryMergePolicy
    implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

  @Override
  public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    if (merging == null) {
      return existing.getRawValue();
    }
    Object mergingEntry = merging.getDeserializedValue();
    Object existingEntry = existing.getDeserializedValue();
    if (mergingEntry instanceof DirectoryEntry incoming
        && existingEntry instanceof DirectoryEntry present
        && newer(incoming, present)) {
      return merging.getRawValue();
    }
    return existing.getRawValue();
  }

  /** Whether {@code a} is a later state of the device's entry than {@code b}. */
  static boolean newer(DirectoryEntry a, DirectoryEntry b) {
    if (a.epoch != b.epoch) {
      return a.epoch > b.epoch;
    }
    if (a.isHeld() != b.isHeld()) {
      return !a.isHeld();
    }
    return a.owed.size() < b.owed.size();
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

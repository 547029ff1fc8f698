package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.spi.impl.merge.RingbufferMergingValueImpl;
import com.hazelcast.spi.merge.RingbufferMergeData;
import com.hazelcast.spi.merge.SplitBrainMergeTypes.RingbufferMergeTypes;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies how the halves of a healed split brain merge the event log ({@link
 * EventLogMergePolicy}): every event either half logged — and published on its event bus — is in
 * the merged log once (docs/cluster.md, "How the halves merge back"; issue 16: "every opened
 * session has exactly one close"). The logs are built as the ringbuffer service hands them to the
 * policy: items serialized by Hazelcast's own serialization service.
 */
class EventLogMergePolicyTest {

  private final SerializationService serialization =
      new DefaultSerializationServiceBuilder().build();

  private static String event(String address, String sessionId, long at) {
    return new JsonObject()
        .put("address", address)
        .put("body", new JsonObject().put("sessionId", sessionId).put("at", at))
        .encode();
  }

  private static String opened(String sessionId, long at) {
    return event("sessions.opened", sessionId, at);
  }

  private static String closed(String sessionId, long at) {
    return event("sessions.closed", sessionId, at);
  }

  /** A log holding {@code events} from {@code firstSeq} on, as a half hands it to the merge. */
  private RingbufferMergeTypes log(int capacity, long firstSeq, String... events) {
    RingbufferMergeData data = new RingbufferMergeData(capacity);
    data.setTailSequence(firstSeq - 1);
    data.setHeadSequence(firstSeq);
    for (String event : events) {
      data.add(serialization.toData(event));
    }
    return new RingbufferMergingValueImpl(serialization).setValues(data);
  }

  private List<String> events(RingbufferMergeData merged) {
    List<String> events = new ArrayList<>();
    for (long seq = merged.getHeadSequence(); seq <= merged.getTailSequence(); seq++) {
      events.add(serialization.toObject(merged.read(seq)));
    }
    return events;
  }

  /**
   * Verifies that the majority's log stays as it was (the {@code seq} its subscribers saw) and that
   * the open the cut-off node logged and published before it found itself cut off is appended, not
   * lost (the chaos run's "closed without its open").
   */
  @Test
  void theCutOffNodesOwnEventsAreAppendedToTheMajoritysLongerLog() {
    // given: a common history, then the majority's NODE_LOST closes and one open on the cut-off
    // node
    String[] common = {opened("s1", 100), opened("s2", 101), opened("s3", 102)};
    RingbufferMergeTypes majority =
        log(
            16,
            0,
            common[0],
            common[1],
            common[2],
            closed("s2", 200),
            closed("s3", 201),
            opened("s5", 202));
    RingbufferMergeTypes cutOff = log(16, 0, common[0], common[1], common[2], opened("s4", 150));

    // when: the smaller half merges into the larger
    RingbufferMergeData merged = new EventLogMergePolicy().merge(cutOff, majority);

    // then
    assertThat(merged.getHeadSequence()).isZero();
    assertThat(events(merged))
        .containsExactly(
            common[0],
            common[1],
            common[2],
            closed("s2", 200),
            closed("s3", 201),
            opened("s5", 202),
            opened("s4", 150));
  }

  /**
   * Verifies that when the half whose log went further is the cut-off one (it logged more before it
   * found itself cut off than the majority announced), the majority's closes are appended, not lost
   * (the chaos run's sessions "opened in the log with no close in it").
   */
  @Test
  void theMajoritysClosesSurviveWhenTheOtherHalfsLogWentFurther() {
    String[] common = {opened("s1", 100), opened("s2", 101)};
    RingbufferMergeTypes majority = log(16, 0, common[0], common[1], closed("s1", 300));
    RingbufferMergeTypes cutOff =
        log(
            16,
            0,
            common[0],
            common[1],
            opened("s7", 150),
            closed("s7", 160),
            opened("s8", 170),
            closed("s8", 180));

    RingbufferMergeData merged = new EventLogMergePolicy().merge(cutOff, majority);

    assertThat(events(merged))
        .containsExactly(
            common[0],
            common[1],
            opened("s7", 150),
            closed("s7", 160),
            opened("s8", 170),
            closed("s8", 180),
            closed("s1", 300));
  }

  /**
   * Verifies that a node which lost every copy of the log's partition and started a log of its own
   * at {@code seq} 0 gets its events into the merged log although the kept ring has long moved past
   * 0, while a stale copy's events that the kept ring has overwritten since do not come back.
   */
  @Test
  void aNewLogFromSeqZeroIsAppendedAndOverwrittenHistoryDoesNotComeBack() {
    RingbufferMergeTypes majority =
        log(
            4,
            10,
            opened("s10", 1000),
            opened("s11", 1001),
            closed("s10", 1002),
            opened("s12", 1003));
    RingbufferMergeTypes fresh = log(4, 0, opened("s20", 2001), closed("s20", 2004));
    RingbufferMergeTypes stale = log(4, 6, opened("s6", 600), opened("s7", 700), opened("s8", 800));

    List<String> withFresh = events(new EventLogMergePolicy().merge(fresh, majority));
    RingbufferMergeData withStale = new EventLogMergePolicy().merge(stale, majority);

    assertThat(withFresh)
        .containsExactly(
            closed("s10", 1002), opened("s12", 1003), opened("s20", 2001), closed("s20", 2004));
    assertThat(withStale.getTailSequence()).isEqualTo(13);
    assertThat(events(withStale))
        .containsExactly(
            opened("s10", 1000), opened("s11", 1001), closed("s10", 1002), opened("s12", 1003));
  }

  /**
   * Verifies that a copy holding older history than the kept ring (overwritten there since), logged
   * in the same millisecond as the kept ring's oldest entries, adds nothing: the long chaos run
   * found 1,842 opens of such a burst appended a second time, 100,000 sequences after the first,
   * when the policy judged by time.
   */
  @Test
  void overwrittenHistoryLoggedInTheSameMillisecondDoesNotComeBack() {
    // given: a reconnect burst at one millisecond, seq 6..11; the kept ring holds only 10..13 of it
    String[] burst = new String[6];
    for (int i = 0; i < burst.length; i++) {
      burst[i] = opened("b" + i, 500);
    }
    RingbufferMergeTypes majority =
        log(4, 10, burst[4], burst[5], closed("b4", 900), opened("c", 901));
    RingbufferMergeTypes stale = log(8, 6, burst);

    // when
    RingbufferMergeData merged = new EventLogMergePolicy().merge(stale, majority);

    // then
    assertThat(events(merged))
        .containsExactly(burst[4], burst[5], closed("b4", 900), opened("c", 901));
  }

  /**
   * Verifies that a session opened in one half and closed in the other ends up with its open before
   * its close in the merged log: the long chaos run found 333 closes logged before their open (the
   * majority logged the close, the open was only in the cut-off half's log and was appended after
   * it). The close and its open trade places, so every other event keeps its {@code seq}.
   */
  @Test
  void aCloseLoggedByTheKeptHalfBeforeAnOpenOnlyTheOtherHalfLoggedMovesAfterIt() {
    // given: s4 opened on the cut-off node during the split; the majority announced it NODE_LOST
    String[] common = {opened("s1", 100), opened("s2", 101)};
    RingbufferMergeTypes majority =
        log(16, 0, common[0], common[1], closed("s2", 200), closed("s4", 210), opened("s5", 220));
    RingbufferMergeTypes cutOff =
        log(16, 0, common[0], common[1], opened("s4", 150), opened("s6", 160));

    // when
    RingbufferMergeData merged = new EventLogMergePolicy().merge(cutOff, majority);

    // then: every event once; s4's open where its close was, its close where the open was appended
    assertThat(events(merged))
        .containsExactly(
            common[0],
            common[1],
            closed("s2", 200),
            opened("s4", 150),
            opened("s5", 220),
            closed("s4", 210),
            opened("s6", 160));
  }

  /** Verifies that a half without a log (none created there) takes the other's as it is. */
  @Test
  void aMissingLogTakesTheOther() {
    RingbufferMergeTypes majority = log(16, 0, opened("s1", 100));

    assertThat(events(new EventLogMergePolicy().merge(majority, null)))
        .containsExactly(opened("s1", 100));
  }
}

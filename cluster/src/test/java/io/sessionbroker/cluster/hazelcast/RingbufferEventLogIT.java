package io.sessionbroker.cluster.hazelcast;

import static io.sessionbroker.cluster.hazelcast.HazelcastDirectoryIT.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the cluster-wide event log on two real members: batches get contiguous sequence numbers
 * even when two nodes append at once, a reader resumes from any sequence, and a reader that fell
 * behind the ring's capacity is told so ({@code gap}).
 */
@Timeout(90)
class RingbufferEventLogIT {

  private static final int CAPACITY = 200;
  private static final Members members = new Members();
  private static RingbufferEventLog logA;
  private static RingbufferEventLog logB;
  private static Ringbuffer<String> ringA;

  @BeforeAll
  static void startTwoMembers() {
    List<HazelcastInstance> two = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      // The shipped config, with a small ring so that the test can overrun it.
      var config = members.config();
      config.getRingbufferConfig(RingbufferEventLog.NAME).setCapacity(CAPACITY);
      two.add(members.track(Hazelcast.newHazelcastInstance(config)));
    }
    logA = new RingbufferEventLog(two.get(0));
    ringA = two.get(0).getRingbuffer(RingbufferEventLog.NAME);
    logB = new RingbufferEventLog(two.get(1));
  }

  @AfterAll
  static void stopMembers() {
    members.close();
  }

  /** {@code size} events of {@code node}, each unique, as every real event is (its session id). */
  private static List<JsonObject> batch(String node, int size) {
    String batch = UUID.randomUUID().toString();
    return IntStream.range(0, size)
        .mapToObj(i -> new JsonObject().put("node", node).put("i", i).put("batch", batch))
        .toList();
  }

  @Test
  void concurrentBatchesFromTwoNodesAreEachContiguousAndReplayableFromAnySequence()
      throws Exception {
    // given / when: both nodes append batches of 20 at once
    List<io.vertx.core.Future<Long>> firsts = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      firsts.add(logA.append(batch("a", 20)));
      firsts.add(logB.append(batch("b", 20)));
    }
    List<Long> starts = new ArrayList<>();
    for (io.vertx.core.Future<Long> first : firsts) {
      starts.add(await(first));
    }

    // then: each batch reads back contiguous, in order, from its first sequence
    long lowest = starts.stream().mapToLong(Long::longValue).min().orElseThrow();
    for (int b = 0; b < starts.size(); b++) {
      JsonObject page = await(logA.read(starts.get(b), 20));
      JsonArray events = page.getJsonArray("events");
      assertThat(events).hasSize(20);
      String node = b % 2 == 0 ? "a" : "b";
      for (int i = 0; i < 20; i++) {
        JsonObject event = events.getJsonObject(i);
        assertThat(event.getLong("seq")).isEqualTo(starts.get(b) + i);
        assertThat(event.getString("node")).isEqualTo(node);
        assertThat(event.getInteger("i")).isEqualTo(i);
      }
      assertThat(page.getBoolean("gap")).isFalse();
    }
    JsonObject all = await(logB.read(lowest, 1_000));
    assertThat(all.getJsonArray("events")).hasSize(120);
    assertThat(all.getLong("nextSeq")).isEqualTo(lowest + 120);
    assertThat(await(logB.read(lowest + 120, 10)).getJsonArray("events")).isEmpty();
  }

  @Test
  void aReaderBehindTheRingsCapacityIsToldThereIsAGap() throws Exception {
    // given: more events than the ring keeps
    long first = await(logA.append(batch("a", CAPACITY)));
    await(logB.append(batch("b", 50)));

    // when
    JsonObject page = await(logA.read(first, 10));

    // then: the page starts at the oldest kept event and says events were lost
    assertThat(page.getBoolean("gap")).isTrue();
    assertThat(page.getLong("oldestSeq")).isGreaterThan(first);
    assertThat(page.getJsonArray("events").getJsonObject(0).getLong("seq"))
        .isEqualTo(page.getLong("oldestSeq"));
  }

  /**
   * Verifies that each entry is stored as itself with its append's id as the last field (what a
   * reader drops again), an empty entry too, and that the entries handed in are left as they were.
   */
  @Test
  void storesEachEntryAsItselfWithItsAppendIdLast() throws Exception {
    // given: an entry with a nested body and characters JSON escapes, and an empty one
    JsonObject entry =
        new JsonObject()
            .put("address", "sessions.closed")
            .put("body", new JsonObject().put("deviceId", "d\"1/\\").put("n", 1));
    JsonObject empty = new JsonObject();

    // when
    long first = await(logA.append(List.of(entry, empty)));

    // then
    JsonObject stored = new JsonObject(ringA.readOne(first));
    assertThat(List.copyOf(stored.fieldNames()))
        .containsExactly("address", "body", RingbufferEventLog.APPEND);
    assertThat(stored.getString(RingbufferEventLog.APPEND)).endsWith("/0");
    stored.remove(RingbufferEventLog.APPEND);
    assertThat(stored).isEqualTo(entry);
    JsonObject storedEmpty = new JsonObject(ringA.readOne(first + 1));
    assertThat(List.copyOf(storedEmpty.fieldNames())).containsExactly(RingbufferEventLog.APPEND);
    assertThat(entry.fieldNames()).containsExactly("address", "body");
    assertThat(empty.isEmpty()).isTrue();
  }

  /**
   * Verifies that a batch stored twice — what Hazelcast's retry of an append does when the ring's
   * owner dies after applying it — reads back once, whether the reader starts before the first copy
   * or inside the second.
   */
  @Test
  void aBatchStoredTwiceByARetriedAppendReadsBackOnce() throws Exception {
    // given: a batch, another node's batch, then the first batch again as Hazelcast resends it (the
    // same stored entries)
    long first = await(logA.append(batch("a", 30)));
    await(logB.append(batch("b", 5)));
    List<String> stored = new ArrayList<>();
    ringA.readManyAsync(first, 30, 30, null).toCompletableFuture().get().forEach(stored::add);
    long copy =
        ringA.addAllAsync(stored, OverflowPolicy.OVERWRITE).toCompletableFuture().get() - 29;

    // when: read from the first copy, and from the middle of the second
    JsonArray all = await(logA.read(first, 100)).getJsonArray("events");
    JsonArray fromCopy = await(logB.read(copy + 10, 100)).getJsonArray("events");

    // then: 35 events, each once, at the sequence of its first copy
    assertThat(all).hasSize(35);
    assertThat(all.getJsonObject(29).getLong("seq")).isEqualTo(first + 29);
    assertThat(all.getJsonObject(30).getString("node")).isEqualTo("b");
    assertThat(fromCopy).isEmpty();
  }

  /**
   * Verifies that two equal events appended apart — a UDP device rejected twice within one
   * millisecond from the same address and port — both read back: the skip of a retried append's
   * copy must not hide a real event (docs/events.md, replay: every published event is in the log).
   */
  @Test
  void twoEqualEventsAppendedApartBothReadBack() throws Exception {
    // given
    JsonObject rejected =
        new JsonObject()
            .put("address", "sessions.rejected")
            .put(
                "body",
                new JsonObject()
                    .put("deviceId", "twin-" + UUID.randomUUID())
                    .put("remote", "10.0.0.7:5683")
                    .put("at", 1_000L));

    // when
    long first = await(logA.append(List.of(rejected)));
    long second = await(logB.append(List.of(rejected.copy())));

    // then
    JsonArray events = await(logA.read(first, 10)).getJsonArray("events");
    assertThat(events).extracting(e -> ((JsonObject) e).getLong("seq")).contains(first, second);
    assertThat(events.getJsonObject(0).containsKey(RingbufferEventLog.APPEND)).isFalse();
  }
}

package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class LocalEventLogTest {

  private final LocalEventLog log = new LocalEventLog(5);

  @Test
  void numbersEntriesFromZeroAndReadsThemBackWithTheirSequence() {
    assertThat(log.append(entries(0, 3)).result()).isZero();
    assertThat(log.append(entries(3, 1)).result()).isEqualTo(3L);

    JsonObject page = log.read(1, 2).result();

    assertThat(seqs(page.getJsonArray("events"))).containsExactly(1L, 2L);
    assertThat(page.getJsonArray("events").getJsonObject(0).getString("address")).isEqualTo("a");
    assertThat(page.getJsonArray("events").getJsonObject(0).getJsonObject("body").getInteger("n"))
        .isEqualTo(1);
    assertThat(page.getLong("nextSeq")).isEqualTo(3L);
    assertThat(page.getLong("oldestSeq")).isZero();
    assertThat(page.getBoolean("gap")).isFalse();
  }

  @Test
  void keepsTheLastCapacityEntriesAndSaysWhenTheReaderMissedSome() {
    log.append(entries(0, 8)); // 0..7; 3..7 kept

    JsonObject page = log.read(1, 100).result();

    assertThat(seqs(page.getJsonArray("events"))).containsExactly(3L, 4L, 5L, 6L, 7L);
    assertThat(page.getLong("oldestSeq")).isEqualTo(3L);
    assertThat(page.getLong("nextSeq")).isEqualTo(8L);
    assertThat(page.getBoolean("gap")).isTrue();
  }

  @Test
  void readingPastTheEndGivesNothingAndTheSameNextSeq() {
    log.append(entries(0, 2));

    JsonObject page = log.read(2, 10).result();

    assertThat(page.getJsonArray("events")).isEmpty();
    assertThat(page.getLong("nextSeq")).isEqualTo(2L);
    assertThat(log.read(9, 10).result().getLong("nextSeq")).isEqualTo(2L);
  }

  @Test
  void anEntryIsKeptAsItWasWhenAppended() {
    JsonObject body = new JsonObject().put("n", 0);
    log.append(List.of(new JsonObject().put("address", "a").put("body", body)));
    body.put("seq", 99).put("n", 1); // the pipeline numbers the published body afterwards

    assertThat(
            log.read(0, 1).result().getJsonArray("events").getJsonObject(0).getJsonObject("body"))
        .isEqualTo(new JsonObject().put("n", 0));
  }

  /**
   * Verifies that a full log keeps each entry as its bytes alone, not in a {@code Buffer} (issue
   * 17: the wrapper, its Netty buffer and reference count were 80 bytes more per entry, 0.8 MB of a
   * standalone broker's 10,000). Counted in this JVM's class histogram.
   */
  @Test
  void aFullLogKeepsNoBufferPerEntry() {
    // given
    int capacity = 2_000;
    LocalEventLog full = new LocalEventLog(capacity);

    // when
    full.append(entries(0, capacity));

    // then: fewer Buffers live than entries, and every entry reads back (the log is still in use)
    assertThat(liveInstances("io.vertx.core.buffer.impl.BufferImpl")).isLessThan(capacity);
    assertThat(seqs(full.read(0, capacity).result().getJsonArray("events"))).hasSize(capacity);
  }

  /**
   * Verifies that a full log keeps each entry as its body's bytes alone: its sequence number is its
   * place in the ring and its address the publisher's string (issue 17: the {@code {seq, address,
   * body}} wrapper's bytes were ~50 more per entry, ~25 B of every session's share of RSS at 19,000
   * sessions). Counted in this JVM's class histogram: the byte arrays the full log holds.
   */
  @Test
  void aFullLogKeepsOnlyEachBodysBytes() {
    // given bodies of 32 bytes each ({"device":"device-0000001234"}), an array of 48 on the heap
    int capacity = 4_000;
    List<JsonObject> batch = new ArrayList<>();
    for (int n = 0; n < capacity; n++) {
      batch.add(
          new JsonObject()
              .put("address", "sessions.opened")
              .put("body", new JsonObject().put("device", String.format("device-%010d", n))));
    }
    long before = liveBytes("[B");

    // when
    LocalEventLog full = new LocalEventLog(capacity);
    full.append(batch);

    // then: ~48 bytes of arrays per entry (the wrapper's would be 96), and every entry reads back
    long perEntry = (liveBytes("[B") - before) / capacity;
    assertThat(perEntry).isBetween(40L, 60L);
    JsonObject last = full.read(capacity - 1, 1).result().getJsonArray("events").getJsonObject(0);
    assertThat(last.getLong("seq")).isEqualTo(capacity - 1L);
    assertThat(last.getString("address")).isEqualTo("sessions.opened");
    assertThat(last.getJsonObject("body").getString("device")).isEqualTo("device-0000003999");
  }

  /** Bytes of live instances of a class, as {@code jcmd PID GC.class_histogram} counts them. */
  private static long liveBytes(String className) {
    Matcher row =
        Pattern.compile(
                "(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+" + Pattern.quote(className) + "(\\s|$)")
            .matcher(histogram());
    return row.find() ? Long.parseLong(row.group(1)) : 0;
  }

  /** Live instances of a class, as {@code jcmd PID GC.class_histogram} counts them. */
  private static long liveInstances(String className) {
    Matcher row =
        Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+" + Pattern.quote(className) + "\\s*$")
            .matcher(histogram());
    return row.find() ? Long.parseLong(row.group(1)) : 0;
  }

  /** This JVM's class histogram of live objects (a full collection first). */
  private static String histogram() {
    try {
      return (String)
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
    } catch (Exception e) {
      throw new IllegalStateException("no class histogram from this JVM: " + e, e);
    }
  }

  private static List<JsonObject> entries(int first, int count) {
    List<JsonObject> entries = new ArrayList<>();
    for (int n = first; n < first + count; n++) {
      entries.add(new JsonObject().put("address", "a").put("body", new JsonObject().put("n", n)));
    }
    return entries;
  }

  private static List<Long> seqs(JsonArray events) {
    List<Long> seqs = new ArrayList<>();
    events.forEach(e -> seqs.add(((JsonObject) e).getLong("seq")));
    return seqs;
  }

  /** Verifies that a reader starting at exactly the oldest entry kept has missed nothing. */
  @Test
  void readingFromTheOldestEntryKeptIsNoGap() {
    log.append(entries(0, 8)); // 0..7; 3..7 kept

    JsonObject page = log.read(3, 100).result();

    assertThat(seqs(page.getJsonArray("events"))).containsExactly(3L, 4L, 5L, 6L, 7L);
    assertThat(page.getBoolean("gap")).isFalse();
  }

  /** Verifies that a log with no room for a single entry is refused. */
  @Test
  void aCapacityOfZeroIsRefused() {
    assertThatThrownBy(() -> new LocalEventLog(0)).isInstanceOf(IllegalArgumentException.class);
  }
}

package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CompactIndexTest {

  /** A record that carries its key, like a session and its device id. */
  private record Item(String key, int version) {}

  private final CompactIndex<String, Item> index = new CompactIndex<>(Item::key);

  @Test
  void findsWhatWasPutAndNothingElse() {
    Item a = new Item("a", 1);

    assertThat(index.put(a)).isNull();

    assertThat(index.get("a")).isSameAs(a);
    assertThat(index.get("b")).isNull();
    assertThat(index.size()).isEqualTo(1);
  }

  @Test
  void replacesTheRecordWithAnEqualKey() {
    Item first = new Item("a", 1);
    Item second = new Item("a", 2);
    index.put(first);

    assertThat(index.put(second)).isSameAs(first);

    assertThat(index.get("a")).isSameAs(second);
    assertThat(index.size()).isEqualTo(1);
  }

  @Test
  void removesOnlyTheVeryRecordGiven() {
    Item first = new Item("a", 1);
    Item second = new Item("a", 2);
    index.put(first);
    index.put(second);

    assertThat(index.remove(first)).isFalse();
    assertThat(index.get("a")).isSameAs(second);
    assertThat(index.remove(second)).isTrue();
    assertThat(index.get("a")).isNull();
    assertThat(index.size()).isZero();
  }

  @Test
  void keepsEveryRunReachableAfterRemovals() {
    // Sequential long keys, as session ids are: the Fibonacci hash must spread them and removal
    // must keep
    // every remaining key findable.
    CompactIndex<Long, long[]> ids = new CompactIndex<>(r -> r[0]);
    List<long[]> records = new ArrayList<>();
    for (long id = 1; id <= 10_000; id++) {
      long[] record = {id};
      records.add(record);
      ids.put(record);
    }
    for (int i = 0; i < records.size(); i += 3) {
      assertThat(ids.remove(records.get(i))).isTrue();
    }
    for (int i = 0; i < records.size(); i++) {
      assertThat(ids.get((long) i + 1)).isSameAs(i % 3 == 0 ? null : records.get(i));
    }
    assertThat(ids.size()).isEqualTo(6_666);
  }

  @Test
  void behavesLikeAHashMapUnderRandomOperations() {
    Map<String, Item> expected = new HashMap<>();
    Random random = new Random(42);
    for (int step = 0; step < 200_000; step++) {
      String key = "k" + random.nextInt(5_000);
      switch (random.nextInt(3)) {
        case 0 -> {
          Item item = new Item(key, step);
          assertThat(index.put(item)).isSameAs(expected.put(key, item));
        }
        case 1 -> {
          Item current = expected.get(key);
          if (current != null) {
            assertThat(index.remove(current)).isTrue();
            expected.remove(key);
          } else {
            assertThat(index.remove(new Item(key, -1))).isFalse();
          }
        }
        default -> assertThat(index.get(key)).isSameAs(expected.get(key));
      }
    }
    assertThat(index.size()).isEqualTo(expected.size());
    assertThat(index.toList()).containsExactlyInAnyOrderElementsOf(expected.values());
    List<Item> iterated = new ArrayList<>();
    index.forEach(iterated::add);
    assertThat(iterated).containsExactlyInAnyOrderElementsOf(expected.values());
  }

  @Test
  void growsToKeepAQuarterOfItsSlotsFree() {
    for (int i = 0; i < 100_000; i++) {
      index.put(new Item("device-" + i, i));
    }

    assertThat(index.slotsForTest()).hasSize(262_144);
    for (int i = 0; i < 100_000; i++) {
      assertThat(index.get("device-" + i).version()).isEqualTo(i);
    }
  }

  /**
   * Verifies that the sixteen slots hold twelve records (three quarters) and the thirteenth doubles
   * them.
   */
  @Test
  void doublesOnlyOnceMoreThanThreeQuartersOfItsSlotsAreUsed() {
    for (int i = 0; i < 12; i++) {
      index.put(new Item("device-" + i, i));
    }
    assertThat(index.slotsForTest()).hasSize(16);

    index.put(new Item("device-12", 12));

    assertThat(index.slotsForTest()).hasSize(32);
    assertThat(index).hasToString("CompactIndex[size=13, slots=32]");
  }
}

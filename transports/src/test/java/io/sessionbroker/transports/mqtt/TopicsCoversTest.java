package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verifies {@link Topics#covers}, the containment rule of SUBSCRIBE authorization, against its
 * definition: {@code covers(outer, inner)} holds exactly when every topic name {@code inner}
 * matches ({@link Topics#matches}, §4.7) is matched by {@code outer}.
 */
class TopicsCoversTest {

  /** Levels of the generated topics; "$s" and "" exercise §4.7.2 and empty levels. */
  private static final List<String> TOPIC_LEVELS = List.of("a", "b", "$s", "");

  /** Verifies the examples of the Javadoc and the brief. */
  @Test
  void aDeviceTreeCoversItsOwnFiltersButNoOtherDevices() {
    assertThat(Topics.covers("devices/c1/#", "devices/c1/+/temp")).isTrue();
    assertThat(Topics.covers("devices/c1/#", "devices/c1")).isTrue();
    assertThat(Topics.covers("devices/c1/#", "devices/c1/#")).isTrue();
    assertThat(Topics.covers("devices/c1/#", "devices/+/x")).isFalse();
    assertThat(Topics.covers("devices/c1/#", "devices/#")).isFalse();
    assertThat(Topics.covers("devices/c1/#", "#")).isFalse();
    assertThat(Topics.covers("devices/+/temp", "devices/c1/temp")).isTrue();
    assertThat(Topics.covers("devices/+/temp", "devices/+/+")).isFalse();
    assertThat(Topics.covers("#", "$SYS/#")).isFalse();
    assertThat(Topics.covers("+/x", "$s/x")).isFalse();
    assertThat(Topics.covers("#", "+/x")).isTrue();
  }

  /**
   * Verifies covers against its definition for every pair of filters of up to three levels over a
   * small alphabet, checked on every topic of up to four levels over it: a brute-force property
   * test (a topic deeper than the filters plus one level adds nothing a filter can tell apart).
   */
  @Test
  void coversHoldsExactlyWhenEveryTopicTheInnerFilterMatchesTheOuterMatchesToo() {
    List<String> topics = words(TOPIC_LEVELS, 4);
    List<String> filters = new ArrayList<>();
    for (String filter : words(List.of("a", "$s", "", "+", "#"), 3)) {
      if (Topics.validFilter(filter)) {
        filters.add(filter);
      }
    }
    int checked = 0;
    for (String outer : filters) {
      for (String inner : filters) {
        boolean contained = true;
        for (String topic : topics) {
          if (Topics.matches(inner, topic) && !Topics.matches(outer, topic)) {
            contained = false;
            break;
          }
        }
        assertThat(Topics.covers(outer, inner))
            .as("covers(%s, %s)", outer, inner)
            .isEqualTo(contained);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(10_000);
  }

  /** Every topic of 1..maxLevels levels over {@code levels}, joined with "/". */
  private static List<String> words(List<String> levels, int maxLevels) {
    List<String> all = new ArrayList<>();
    List<String> previous = List.of("");
    for (int n = 1; n <= maxLevels; n++) {
      List<String> next = new ArrayList<>();
      for (String prefix : previous) {
        for (String level : levels) {
          next.add(n == 1 ? level : prefix + "/" + level);
        }
      }
      all.addAll(next);
      previous = next;
    }
    return all;
  }
}

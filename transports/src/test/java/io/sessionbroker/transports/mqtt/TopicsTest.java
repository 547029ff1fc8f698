package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TopicsTest {

  @Test
  void plusMatchesExactlyOneLevel() {
    assertThat(Topics.matches("sensors/+/temp", "sensors/42/temp")).isTrue();
    assertThat(Topics.matches("sensors/+/temp", "sensors/42/temp/c")).isFalse();
    assertThat(Topics.matches("sensors/+/temp", "sensors//temp")).isTrue();
    assertThat(Topics.matches("+", "a")).isTrue();
    assertThat(Topics.matches("+", "a/b")).isFalse();
  }

  @Test
  void hashMatchesTheParentAndEveryLevelBelow() {
    assertThat(Topics.matches("sensors/#", "sensors")).isTrue();
    assertThat(Topics.matches("sensors/#", "sensors/42/temp")).isTrue();
    assertThat(Topics.matches("sensors/#", "sensorsX")).isFalse();
    assertThat(Topics.matches("#", "anything/at/all")).isTrue();
  }

  @Test
  void wildcardsAtTheFirstLevelDoNotMatchDollarTopics() {
    assertThat(Topics.matches("#", "$SYS/uptime")).isFalse();
    assertThat(Topics.matches("+/uptime", "$SYS/uptime")).isFalse();
    assertThat(Topics.matches("$SYS/#", "$SYS/uptime")).isTrue();
  }

  @Test
  void filtersAreValidatedPerSection471() {
    assertThat(Topics.validFilter("a/+/b/#")).isTrue();
    assertThat(Topics.validFilter("a/#/b")).isFalse();
    assertThat(Topics.validFilter("a+")).isFalse();
    assertThat(Topics.validFilter("a/b#")).isFalse();
    assertThat(Topics.validFilter("")).isFalse();
  }

  @Test
  void topicNamesMustNotContainWildcards() {
    assertThat(Topics.validName("a/b")).isTrue();
    assertThat(Topics.validName("a/+")).isFalse();
    assertThat(Topics.validName("a/#")).isFalse();
    assertThat(Topics.validName("")).isFalse();
  }
}

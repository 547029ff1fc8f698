package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Verifies the reading of Mosquitto-style ACL files (mosquitto.conf(5), acl_file). */
class AclRulesTest {

  /**
   * Verifies that topic lines before any user line are for every client, that a user section
   * collects its topic lines, that pattern lines are for every client wherever they stand, and that
   * the access word defaults to readwrite.
   */
  @Test
  void readsGeneralLinesUserSectionsAndPatterns() {
    // given a file in Mosquitto's form, with comments and blank lines
    String file =
        """
        # every client
        topic read announcements/#

        user dashboard
        topic read devices/+/telemetry
        topic ops/#
        pattern write users/%u/out
        """;

    // when it is parsed
    AclRules rules = AclRules.parse(file);

    // then
    assertThat(rules.everyone())
        .containsExactly(
            new AclRule(Access.READ, "announcements/#", false),
            new AclRule(Access.WRITE, "users/%u/out", true));
    assertThat(rules.users().get("dashboard"))
        .containsExactly(
            new AclRule(Access.READ, "devices/+/telemetry", false),
            new AclRule(Access.READWRITE, "ops/#", false));
    assertThat(rules.forUser("dashboard")).hasSize(4);
    assertThat(rules.forUser("someone-else")).isEqualTo(rules.everyone());
  }

  /** Verifies that each kind of mistake is refused with its line number. */
  @Test
  void refusesWhatItDoesNotUnderstandNamingTheLine() {
    assertThatThrownBy(() -> AclRules.parse("topic read a\nallow b"))
        .hasMessage("line 2: expected topic, pattern or user, got 'allow'");
    assertThatThrownBy(() -> AclRules.parse("topic read"))
        .hasMessage("line 1: a topic filter is missing after read");
    assertThatThrownBy(() -> AclRules.parse("topic read a/#/b"))
        .hasMessage("line 1: not a valid topic filter: 'a/#/b'");
    assertThatThrownBy(() -> AclRules.parse("pattern read devices/x%c/#"))
        .hasMessage("line 1: %c and %u must be a whole topic level: 'devices/x%c/#'");
    assertThatThrownBy(() -> AclRules.parse("\n\ntopic deny secret/#"))
        .hasMessage("line 3: deny is not supported");
    assertThatThrownBy(() -> AclRules.parse("user")).hasMessageStartingWith("line 1: a user line");
  }

  /** Verifies that an empty file grants nothing beyond the device tree. */
  @Test
  void anEmptyFileHasNoRules() {
    assertThat(AclRules.parse("# nothing\n\n"))
        .isEqualTo(new AclRules(List.of(), java.util.Map.of()));
  }
}

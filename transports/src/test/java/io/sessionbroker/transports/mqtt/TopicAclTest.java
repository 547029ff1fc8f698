package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Verifies what a client may publish, subscribe and receive under the default and a file. */
class TopicAclTest {

  private static final TopicAcl DEFAULT = TopicAcl.DEVICE_TREE_ONLY;

  /**
   * Verifies the default: a client reads and writes devices/{id}/#, reads commands/{id}/req/# and
   * writes commands/{id}/res/# (issue 18's command topics), and nothing else.
   */
  @Test
  void byDefaultAClientMayUseOnlyItsOwnTree() {
    TopicRights c1 = DEFAULT.rights("c1", null);

    assertThat(c1.mayPublish("devices/c1/temp")).isTrue();
    assertThat(c1.mayPublish("devices/c1")).isTrue();
    assertThat(c1.maySubscribe("devices/c1/#")).isTrue();
    assertThat(c1.maySubscribe("devices/c1/+/state")).isTrue();
    assertThat(c1.mayRead("devices/c1/config")).isTrue();
    assertThat(c1.maySubscribe("commands/c1/req/#")).isTrue();
    assertThat(c1.mayPublish("commands/c1/res/7/200")).isTrue();

    assertThat(c1.mayPublish("devices/c2/temp")).isFalse();
    assertThat(c1.maySubscribe("devices/+/temp")).isFalse();
    assertThat(c1.maySubscribe("devices/#")).isFalse();
    assertThat(c1.maySubscribe("#")).isFalse();
    assertThat(c1.mayRead("devices/c2/temp")).isFalse();
    assertThat(c1.mayPublish("commands/c1/req/7/reboot")).isFalse();
    assertThat(c1.maySubscribe("commands/c1/res/#")).isFalse();
    assertThat(c1.mayPublish("sensors/1")).isFalse();
  }

  /**
   * Verifies that a client id or user name with a wildcard or a level separator cannot widen its
   * rights through %c/%u: the pattern gives it nothing (Mosquitto refuses such ids in patterns,
   * plugins/acl-file/acl_check.c "dangerous client id").
   */
  @Test
  void aClientIdWithWildcardsOrSlashesGetsNothingFromAPattern() {
    for (String id : new String[] {"+", "#", "c1/x", "a+b", "", "x\0"}) {
      TopicRights rights = DEFAULT.rights(id, null);
      assertThat(rights.maySubscribe("devices/+/#")).as(id).isFalse();
      assertThat(rights.mayPublish("devices/c1/x/y")).as(id).isFalse();
      assertThat(rights.mayRead("devices/c2/t")).as(id).isFalse();
    }
    TopicAcl file = new TopicAcl(AclRules.parse("pattern readwrite users/%u/#"), Set.of());
    assertThat(file.rights("c1", "#").maySubscribe("users/#")).isFalse();
    assertThat(file.rights("c1", "bob/x").mayPublish("users/bob/x/1")).isFalse();
    assertThat(file.rights("c1", null).mayPublish("users/null/1")).isFalse();
    // an empty user name would otherwise share users//# with every other empty one
    assertThat(file.rights("c1", "").mayPublish("users//1")).isFalse();
    assertThat(file.rights("c1", "bob").mayPublish("users/bob/1")).isTrue();
  }

  /** Verifies that the file adds general, per-user and pattern rights, and admins get all. */
  @Test
  void theFileAddsRightsAndAdministratorsMayUseEveryTopic() {
    TopicAcl acl =
        new TopicAcl(
            AclRules.parse(
                """
                topic read announcements/#
                user dashboard
                topic read devices/+/telemetry
                """),
            Set.of("admin"));

    assertThat(acl.rights("c1", null).maySubscribe("announcements/#")).isTrue();
    assertThat(acl.rights("c1", null).mayPublish("announcements/x")).isFalse();
    assertThat(acl.rights("c1", "bob").maySubscribe("devices/+/telemetry")).isFalse();
    assertThat(acl.rights("d", "dashboard").maySubscribe("devices/+/telemetry")).isTrue();
    assertThat(acl.rights("d", "dashboard").maySubscribe("devices/+/+")).isFalse();
    assertThat(acl.rights("a", "admin").maySubscribe("#")).isTrue();
    assertThat(acl.rights("a", "admin").mayPublish("$SYS/x")).isTrue();
  }

  /** Verifies that a connection's rights follow a replaced rule set at its next check. */
  @Test
  void aConnectionSeesReplacedRulesAtItsNextCheck() {
    TopicAcl acl = new TopicAcl(AclRules.NONE, Set.of());
    TopicAcl.Client client = acl.forClient("c1", null);
    assertThat(client.now().mayPublish("shared/x")).isFalse();

    acl.replace(AclRules.parse("topic write shared/#"));

    assertThat(client.now().mayPublish("shared/x")).isTrue();
  }
}

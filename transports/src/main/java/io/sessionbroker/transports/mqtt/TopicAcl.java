package io.sessionbroker.transports.mqtt;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The MQTT authorization of one transport: the built-in device tree, the rules of the ACL file
 * (replaced when the file changes, {@link AclReloader}) and the administrative users.
 *
 * <p>Every client may use its own tree: read and write {@code devices/{clientId}/#}, read {@code
 * commands/{clientId}/req/#} (commands to it) and write {@code commands/{clientId}/res/#} (its
 * answers). The file adds to that; nothing takes it away. A user name in {@code adminUsers} may use
 * every topic.
 *
 * <p>Threading: {@link #replace} may be called from any thread; a connection sees new rules at its
 * next check ({@link Client}).
 */
public final class TopicAcl {

  /** The device's own tree, as patterns. */
  static final List<AclRule> DEVICE_TREE =
      List.of(
          new AclRule(Access.READWRITE, "devices/%c/#", true),
          new AclRule(Access.READ, "commands/%c/req/#", true),
          new AclRule(Access.WRITE, "commands/%c/res/#", true));

  /** The device tree only: no file, no administrators. */
  public static final TopicAcl DEVICE_TREE_ONLY = new TopicAcl(AclRules.NONE, Set.of());

  private final Set<String> adminUsers;
  private volatile AclRules rules;

  public TopicAcl(AclRules rules, Set<String> adminUsers) {
    this.rules = rules;
    this.adminUsers = Set.copyOf(adminUsers);
  }

  /** From now on, these rules (a changed ACL file). */
  public void replace(AclRules rules) {
    this.rules = rules;
  }

  public AclRules rules() {
    return rules;
  }

  /** The rights of {@code clientId} connected with {@code user} (null: no user name), now. */
  public TopicRights rights(String clientId, String user) {
    return rights(rules, clientId, user);
  }

  private TopicRights rights(AclRules current, String clientId, String user) {
    if (user != null && adminUsers.contains(user)) {
      return TopicRights.ALL;
    }
    List<AclRule> all = new ArrayList<>(DEVICE_TREE);
    all.addAll(current.forUser(user));
    return TopicRights.of(all, clientId, user);
  }

  /** The rights of one connection, worked out again when the rules change. */
  public Client forClient(String clientId, String user) {
    return new Client(clientId, user);
  }

  /** One connection's view: its rights for the rules in force, cached until they change. */
  public final class Client {
    private final String clientId;
    private final String user;
    private AclRules resolvedFor;
    private TopicRights rights;

    private Client(String clientId, String user) {
      this.clientId = clientId;
      this.user = user;
    }

    /** The rights under the rules in force now. */
    public TopicRights now() {
      AclRules current = rules;
      if (current != resolvedFor) {
        rights = rights(current, clientId, user);
        resolvedFor = current;
      }
      return rights;
    }
  }
}

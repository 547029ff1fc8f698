package io.sessionbroker.transports.mqtt;

import java.util.ArrayList;
import java.util.List;

/**
 * What one client may do, with every pattern already resolved for its client id and user name: a
 * pure value, asked on each PUBLISH, SUBSCRIBE and delivery.
 *
 * <p>Example: client {@code c1} without a file gets {@code readwrite devices/c1/#}, {@code read
 * commands/c1/req/#} and {@code write commands/c1/res/#}; it may publish {@code devices/c1/temp},
 * subscribe {@code devices/c1/+/state}, but not subscribe {@code devices/+/temp} (that filter also
 * matches {@code devices/c2/temp}).
 */
public final class TopicRights {

  /** May use every topic: an administrative user. */
  public static final TopicRights ALL = new TopicRights(true, List.of());

  private record Grant(Access access, String filter) {}

  private final boolean all;
  private final List<Grant> grants;

  private TopicRights(boolean all, List<Grant> grants) {
    this.all = all;
    this.grants = grants;
  }

  /**
   * The rights {@code rules} give {@code clientId} connected with {@code user} (null when the
   * CONNECT had no user name); a pattern whose placeholder is not a safe topic level ({@link
   * AclRule#safeLevel}) gives nothing.
   */
  static TopicRights of(List<AclRule> rules, String clientId, String user) {
    List<Grant> grants = new ArrayList<>();
    for (AclRule rule : rules) {
      String filter = rule.resolve(clientId, user);
      if (filter != null) {
        grants.add(new Grant(rule.access(), filter));
      }
    }
    return new TopicRights(false, List.copyOf(grants));
  }

  /** Whether the client may PUBLISH to {@code topic} (also: use it as its will's topic). */
  public boolean mayPublish(String topic) {
    if (all) {
      return true;
    }
    for (Grant grant : grants) {
      if (grant.access().writes() && Topics.matches(grant.filter(), topic)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a message published to {@code topic} may be delivered to the client. */
  public boolean mayRead(String topic) {
    if (all) {
      return true;
    }
    for (Grant grant : grants) {
      if (grant.access().reads() && Topics.matches(grant.filter(), topic)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the client may SUBSCRIBE to {@code filter}: one read rule must cover every topic the
   * filter matches ({@link Topics#covers}). Two rules that only together cover it do not count (a
   * conservative simplification: it never grants too much).
   */
  public boolean maySubscribe(String filter) {
    if (all) {
      return true;
    }
    for (Grant grant : grants) {
      if (grant.access().reads() && Topics.covers(grant.filter(), filter)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return all ? "all topics" : grants.toString();
  }
}

package io.sessionbroker.transports.mqtt;

/**
 * MQTT topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7): validation and matching. Pure
 * functions.
 *
 * <p>Example: the filter {@code sensors/+/temp} matches {@code sensors/42/temp} but not {@code
 * sensors/42/temp/c}; {@code sensors/#} matches {@code sensors}, {@code sensors/42} and {@code
 * sensors/42/temp}; neither {@code #} nor {@code +/x} matches a topic that starts with {@code $}
 * (§4.7.2).
 */
public final class Topics {

  private Topics() {}

  /**
   * A topic name a client may PUBLISH to: non-empty, no wildcards (§4.7.3, §3.3.2.1), no NUL
   * (§1.5.3).
   */
  public static boolean validName(String topic) {
    return topic != null
        && !topic.isEmpty()
        && topic.indexOf('+') < 0
        && topic.indexOf('#') < 0
        && topic.indexOf('\0') < 0;
  }

  /**
   * A topic filter a client may SUBSCRIBE to (§4.7.1): non-empty; {@code #} only as the whole last
   * level; {@code +} only as a whole level.
   */
  public static boolean validFilter(String filter) {
    if (filter == null || filter.isEmpty() || filter.indexOf('\0') >= 0) {
      return false;
    }
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String level = levels[i];
      if (level.contains("#") && (!level.equals("#") || i != levels.length - 1)) {
        return false;
      }
      if (level.contains("+") && !level.equals("+")) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code filter} (already valid) matches the topic name {@code topic}. */
  public static boolean matches(String filter, String topic) {
    if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
      return false;
    }
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length) {
        return false;
      }
      if (!f[i].equals("+") && !f[i].equals(t[i])) {
        return false;
      }
    }
    return f.length == t.length;
  }

  /**
   * Whether every topic name {@code inner} matches is also matched by {@code outer} (both valid
   * filters): the containment an ACL needs, since a subscription is allowed only when every topic
   * it can receive is readable. Example: {@code devices/c1/#} covers {@code devices/c1/+/temp} and
   * {@code devices/c1}, but not {@code devices/+/temp} (it matches {@code devices/c2/temp}) nor
   * {@code devices/#}. A filter starting with a wildcard covers no topic starting with {@code $}
   * (§4.7.2), so {@code #} does not cover {@code $SYS/#}.
   */
  public static boolean covers(String outer, String inner) {
    String[] o = outer.split("/", -1);
    String[] n = inner.split("/", -1);
    if (isWildcard(o[0]) && n[0].startsWith("$")) {
      return false;
    }
    if (inner.equals("#")) {
      // Every topic has a first level, so "+/#" matches all that "#" does (found by
      // TopicsCoversTest's exhaustive check); below the first level "#" also matches the parent.
      return outer.equals("#") || outer.equals("+/#");
    }
    for (int i = 0; i < o.length; i++) {
      if (o[i].equals("#")) {
        return true; // matches this level's parent and everything below it
      }
      if (i >= n.length || n[i].equals("#")) {
        return false; // inner matches a topic that ends here, or goes deeper than outer reaches
      }
      if (!o[i].equals("+") && (n[i].equals("+") || !o[i].equals(n[i]))) {
        return false;
      }
    }
    return o.length == n.length;
  }

  private static boolean isWildcard(String level) {
    return level.equals("+") || level.equals("#");
  }
}

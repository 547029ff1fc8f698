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
}

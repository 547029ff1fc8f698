package io.sessionbroker.transports.mqtt;

/**
 * One line of an ACL: {@code topic readwrite sensors/#} or {@code pattern read devices/%c/#}.
 *
 * @param filter a topic filter (wildcards allowed); in a pattern, {@code %c} and {@code %u} stand
 *     for whole levels
 * @param pattern whether {@code %c} (client id) and {@code %u} (user name) are substituted
 */
public record AclRule(Access access, String filter, boolean pattern) {

  public AclRule {
    if (!Topics.validFilter(filter)) {
      throw new IllegalArgumentException("not a valid topic filter: '" + filter + "'");
    }
    if (pattern) {
      for (String level : filter.split("/", -1)) {
        if ((level.contains("%c") || level.contains("%u")) && !isPlaceholder(level)) {
          // Mosquitto: "The substitution pattern must be the only text for that level of
          // hierarchy". Mosquitto reads "%cx" as text; we refuse it so that a typo is seen.
          throw new IllegalArgumentException(
              "%c and %u must be a whole topic level: '" + filter + "'");
        }
      }
    }
  }

  static boolean isPlaceholder(String level) {
    return level.equals("%c") || level.equals("%u");
  }

  /**
   * This rule for one client: a pattern's placeholders replaced, or null when a placeholder has
   * nothing safe to stand for ({@link #safeLevel}).
   */
  String resolve(String clientId, String user) {
    if (!pattern) {
      return filter;
    }
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String value =
          switch (levels[i]) {
            case "%c" -> clientId;
            case "%u" -> user;
            default -> levels[i];
          };
      if (isPlaceholder(levels[i]) && !safeLevel(value)) {
        return null;
      }
      levels[i] = value;
    }
    return String.join("/", levels);
  }

  /**
   * Whether a client id or user name may stand for one topic level: not empty, no wildcard, no
   * level separator, no NUL. A client id {@code +} would turn {@code devices/%c/#} into {@code
   * devices/+/#}, every device's tree; {@code c1/x} would reach into client {@code c1}'s. Mosquitto
   * refuses ids with {@code +} or {@code #} in patterns (plugins/acl-file/acl_check.c, "dangerous
   * client id") and matches a substitution against one level only (libcommon/topic_common.c); here
   * such a rule simply grants nothing to that client.
   */
  static boolean safeLevel(String value) {
    return value != null
        && !value.isEmpty()
        && value.indexOf('+') < 0
        && value.indexOf('#') < 0
        && value.indexOf('/') < 0
        && value.indexOf('\0') < 0;
  }
}

package io.sessionbroker.transports.mqtt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of an ACL file, parsed: those for every client and those for one user name. The format
 * is Mosquitto's {@code acl_file} (mosquitto.conf(5)), with the differences the class {@link
 * #parse} documents.
 *
 * <p>Example:
 *
 * <pre>
 * # every client
 * topic read announcements/#
 * pattern readwrite users/%u/#
 * user dashboard
 * topic read devices/+/telemetry
 * </pre>
 *
 * gives every client read access to {@code announcements/#} and its own {@code users/NAME/#}, and
 * the user {@code dashboard} also read access to every device's telemetry.
 *
 * @param everyone rules that apply to every client: {@code topic} lines before the first {@code
 *     user} line, and every {@code pattern} line wherever it is
 * @param users user name → the {@code topic} lines of its {@code user} section
 */
public record AclRules(List<AclRule> everyone, Map<String, List<AclRule>> users) {

  /** No file: nothing beyond the built-in device tree. */
  public static final AclRules NONE = new AclRules(List.of(), Map.of());

  public AclRules {
    everyone = List.copyOf(everyone);
    Map<String, List<AclRule>> copy = new HashMap<>();
    users.forEach((user, rules) -> copy.put(user, List.copyOf(rules)));
    users = Map.copyOf(copy);
  }

  /** The rules for a client with {@code user} (null: none), before substitution. */
  List<AclRule> forUser(String user) {
    List<AclRule> own = user == null ? List.of() : users.getOrDefault(user, List.of());
    if (own.isEmpty()) {
      return everyone;
    }
    List<AclRule> all = new ArrayList<>(everyone);
    all.addAll(own);
    return all;
  }

  /**
   * Parses an ACL file. Lines: {@code topic [read|write|readwrite] FILTER}, {@code pattern
   * [read|write|readwrite] FILTER} (access defaults to readwrite, as in Mosquitto), {@code user
   * NAME}; blank lines and lines starting with {@code #} are skipped.
   *
   * <p>Where this differs from Mosquitto: {@code topic} lines before any {@code user} line apply to
   * every client, not only to clients without a user name (an MQTT 3.1.1 device that sends its
   * token as password must send a user name too, [MQTT-3.1.2-22], so "anonymous" would exclude
   * nearly every device); {@code deny} is not supported; a line this parser does not understand is
   * an error with its line number, where Mosquitto ignores some.
   *
   * @throws IllegalArgumentException naming the line that is wrong
   */
  public static AclRules parse(String text) {
    List<AclRule> everyone = new ArrayList<>();
    Map<String, List<AclRule>> users = new HashMap<>();
    List<AclRule> section = everyone;
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        String[] words = line.split("\\s+", 2);
        String rest = words.length > 1 ? words[1] : "";
        switch (words[0]) {
          case "user" -> {
            if (rest.isEmpty()) {
              throw new IllegalArgumentException("a user line needs a user name");
            }
            section = users.computeIfAbsent(rest, u -> new ArrayList<>());
          }
          case "topic" -> section.add(rule(rest, false));
          case "pattern" -> everyone.add(rule(rest, true));
          default ->
              throw new IllegalArgumentException(
                  "expected topic, pattern or user, got '" + words[0] + "'");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return new AclRules(everyone, users);
  }

  private static AclRule rule(String rest, boolean pattern) {
    String[] words = rest.split("\\s+", 2);
    if (words[0].isEmpty()) {
      throw new IllegalArgumentException("a topic filter is missing");
    }
    if (words[0].equals("deny")) {
      throw new IllegalArgumentException("deny is not supported");
    }
    Access access = Access.parse(words[0]);
    if (access == null) {
      // As in Mosquitto the access word is optional: a topic containing a space needs it.
      return new AclRule(Access.READWRITE, rest, pattern);
    }
    if (words.length < 2) {
      throw new IllegalArgumentException("a topic filter is missing after " + words[0]);
    }
    return new AclRule(access, words[1], pattern);
  }
}

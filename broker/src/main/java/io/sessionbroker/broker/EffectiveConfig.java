package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration a broker runs on, and where each value came from: {@code default}, {@code
 * file}, {@code env BROKER_TCP_PORT}, {@code flag --port-offset 10 on default 7000}. What {@code
 * bin/broker config} prints.
 *
 * @param json the settings, every one present
 * @param origins each setting's origin, by path, in the order of the defaults
 */
public record EffectiveConfig(JsonObject json, Map<String, String> origins) {

  /** Settings whose value is never printed: only whether it is set. */
  static final Set<String> SECRETS = Set.of("auth.secret", "http.adminToken");

  /** One line per setting: path, value (JSON; secrets hidden), origin; in columns. */
  public List<String> describe() {
    Map<String, Object> defaults =
        ConfigLoader.leaves(ConfigLoader.defaults(), "", new java.util.LinkedHashMap<>());
    Map<String, Object> values = ConfigLoader.leaves(json, "", new java.util.LinkedHashMap<>());
    int pathWidth = values.keySet().stream().mapToInt(String::length).max().orElse(0);
    List<String[]> rows = new ArrayList<>();
    for (Map.Entry<String, Object> entry : values.entrySet()) {
      rows.add(new String[] {entry.getKey(), shown(entry.getKey(), entry.getValue())});
    }
    int valueWidth = rows.stream().mapToInt(r -> r[1].length()).max().orElse(0);
    List<String> lines = new ArrayList<>();
    for (String[] row : rows) {
      lines.add(
          String.format(
              "%-" + pathWidth + "s  %-" + valueWidth + "s  %s",
              row[0],
              row[1],
              origin(row[0], values.get(row[0]), defaults.get(row[0]))));
    }
    return lines;
  }

  /** A file that states a default says so: the operator sees at a glance what differs. */
  private String origin(String path, Object value, Object defaultValue) {
    String origin = origins.get(path);
    return origin.equals("file") && String.valueOf(value).equals(String.valueOf(defaultValue))
        ? "file (= default)"
        : origin;
  }

  /** The settings as JSON, secrets replaced by {@code "(set)"}. */
  public JsonObject redacted() {
    JsonObject copy = json.copy();
    for (String path : SECRETS) {
      String[] parts = path.split("\\.");
      JsonObject section = copy.getJsonObject(parts[0]);
      if (section != null && !section.getString(parts[1], "").isEmpty()) {
        section.put(parts[1], "(set)");
      }
    }
    return copy;
  }

  private static String shown(String path, Object value) {
    if (SECRETS.contains(path)) {
      return String.valueOf(value).isEmpty() ? "\"\"" : "(set, hidden)";
    }
    return ConfigRules.show(value);
  }
}

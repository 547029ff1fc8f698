package io.sessionbroker.broker;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment's layer of the configuration: {@code BROKER_} followed by a setting's path,
 * camelCase split into words, all upper case, joined by underscores ({@code tcp.port} → {@code
 * BROKER_TCP_PORT}); its text is read as the setting's type. A variable of that prefix that names
 * no setting is a typo, and refused like one in the file.
 */
final class EnvironmentLayer {

  static final String ENV_PREFIX = "BROKER";

  /** Variables of that prefix that are not settings: read by bin/broker itself. */
  static final Set<String> NOT_SETTINGS = Set.of("BROKER_JAVA_OPTS");

  private EnvironmentLayer() {}

  /** Puts the value of every {@code BROKER_…} variable in {@code env} over {@code conf}. */
  static void apply(
      JsonObject conf,
      Map<String, Object> leaves,
      Map<String, String> env,
      Map<String, String> origins) {
    Map<String, String> byVariable = new TreeMap<>();
    leaves.keySet().forEach(path -> byVariable.put(variable(path), path));
    for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
      String variable = entry.getKey();
      if (!variable.startsWith(ENV_PREFIX + "_") || NOT_SETTINGS.contains(variable)) {
        continue;
      }
      String path = byVariable.get(variable);
      if (path == null) {
        throw new IllegalArgumentException(
            variable
                + ": unknown setting in the environment"
                + ConfigRules.suggestion(variable, byVariable.keySet()));
      }
      Object value;
      try {
        value =
            ConfigRules.typed(path, leaves.get(path), parse(entry.getValue(), leaves.get(path)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (from " + variable + ")", e);
      }
      ConfigLoader.section(conf, path).put(ConfigLoader.last(path), value);
      origins.put(path, "env " + variable);
    }
  }

  /** The text of a variable as the JSON value it stands for, when it reads as one of that type. */
  private static Object parse(String text, Object like) {
    String trimmed = text.trim();
    if (like instanceof Boolean && (trimmed.equals("true") || trimmed.equals("false"))) {
      return Boolean.parseBoolean(trimmed);
    }
    if (like instanceof Number) {
      try {
        return trimmed.matches("-?\\d+")
            ? (Object) Long.parseLong(trimmed)
            : Double.parseDouble(trimmed);
      } catch (NumberFormatException e) {
        return text;
      }
    }
    if (like instanceof JsonArray) {
      if (trimmed.startsWith("[")) {
        try {
          return new JsonArray(trimmed);
        } catch (DecodeException e) {
          return text;
        }
      }
      JsonArray list = new JsonArray();
      for (String item : trimmed.split(",")) {
        if (!item.isBlank()) {
          list.add(item.trim());
        }
      }
      return list;
    }
    return text;
  }

  /** {@code table.maxEvictionsPerTick} → {@code BROKER_TABLE_MAX_EVICTIONS_PER_TICK}. */
  static String variable(String path) {
    StringBuilder name = new StringBuilder(ENV_PREFIX);
    for (String part : path.split("\\.")) {
      name.append('_').append(words(part));
    }
    return name.toString();
  }

  /** {@code maxEvictionsPerTick} → {@code MAX_EVICTIONS_PER_TICK}. */
  static String words(String key) {
    return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }
}

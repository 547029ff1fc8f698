package io.sessionbroker.broker;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads the broker's JSON configuration and lets the environment override every setting.
 *
 * <p>The variable for a setting is {@code BROKER_} followed by its path, camelCase split into
 * words, all upper case, joined by underscores: {@code tcp.port} → {@code BROKER_TCP_PORT}, {@code
 * table.maxEvictionsPerTick} → {@code BROKER_TABLE_MAX_EVICTIONS_PER_TICK}. Only settings present
 * in the file can be overridden (the shipped {@code conf/broker.json} lists them all); the value is
 * parsed as the type the file has there.
 */
public final class ConfigLoader {

  public static final String ENV_PREFIX = "BROKER";

  private ConfigLoader() {}

  public static JsonObject load(Path file, Map<String, String> env) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read config file " + file + ": " + e.getMessage(), e);
    }
    JsonObject conf;
    try {
      conf = new JsonObject(text);
    } catch (DecodeException e) {
      throw new IllegalArgumentException(
          "config file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    override(conf, ENV_PREFIX, env);
    return conf;
  }

  /**
   * Adds {@code offset} to the {@code port} and {@code tlsPort} of every section that has one (a
   * port 0 or -1 stays as it is).
   */
  public static void shiftPorts(JsonObject conf, int offset) {
    for (String key : conf.fieldNames()) {
      if (conf.getValue(key) instanceof JsonObject section) {
        for (String field : new String[] {"port", "tlsPort"}) {
          if (section.getValue(field) instanceof Number port && port.intValue() > 0) {
            int shifted = port.intValue() + offset;
            if (shifted > 65_535) {
              throw new IllegalArgumentException(
                  key + "." + field + " " + port + " + offset " + offset + " exceeds 65535");
            }
            section.put(field, shifted);
          }
        }
      }
    }
  }

  /** Replaces each leaf of {@code conf} whose variable is set in {@code env}. */
  static void override(JsonObject conf, String prefix, Map<String, String> env) {
    for (String key : conf.fieldNames()) {
      String variable = prefix + "_" + words(key);
      Object value = conf.getValue(key);
      if (value instanceof JsonObject nested) {
        override(nested, variable, env);
      } else if (env.containsKey(variable)) {
        conf.put(key, parse(variable, env.get(variable), value));
      }
    }
  }

  /** {@code maxEvictionsPerTick} → {@code MAX_EVICTIONS_PER_TICK}. */
  static String words(String key) {
    return key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
  }

  private static Object parse(String variable, String text, Object like) {
    try {
      if (like instanceof Boolean) {
        if (!text.equals("true") && !text.equals("false")) {
          throw new IllegalArgumentException("expected true or false");
        }
        return Boolean.parseBoolean(text);
      }
      if (like instanceof Integer || like instanceof Long) {
        return Long.parseLong(text.trim());
      }
      if (like instanceof Number) {
        return Double.parseDouble(text.trim());
      }
      return text;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "environment variable "
              + variable
              + "="
              + text
              + " is not a valid "
              + like.getClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}

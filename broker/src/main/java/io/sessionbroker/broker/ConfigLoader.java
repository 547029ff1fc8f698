package io.sessionbroker.broker;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the effective configuration in four layers, each over the one before: the defaults, the
 * file, the environment, the command-line flags. Nothing is silently ignored: an unknown key or
 * variable, a wrong type or an out-of-range value stops the start with the setting's path.
 *
 * <p>The defaults are the shipped {@code conf/broker.json}, built into the jar as a resource: every
 * setting is there, so a file that lists only some sections still gets env overrides and {@code
 * --port-offset} for the others, and a key the defaults do not have is a typo. (The records that
 * read the settings, TcpOptions and the others, state the same defaults as constants; ConfigTest
 * checks that the two agree.)
 *
 * <p>The variable for a setting is {@code BROKER_} followed by its path, camelCase split into
 * words, all upper case, joined by underscores: {@code tcp.port} → {@code BROKER_TCP_PORT}, {@code
 * table.maxEvictionsPerTick} → {@code BROKER_TABLE_MAX_EVICTIONS_PER_TICK}; its text is parsed as
 * the setting's type.
 */
public final class ConfigLoader {

  private static final String DEFAULTS = "broker.json";

  /** A key given twice is refused, not silently the last one. */
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** What the command line adds on top of file and environment. */
  public record Flags(int portOffset, boolean cluster) {
    public static final Flags NONE = new Flags(0, false);
  }

  private ConfigLoader() {}

  /** Every setting with its default: a fresh copy. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException("the defaults (" + DEFAULTS + ") are not in the jar");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Defaults, then {@code file}, then {@code env}: the JSON the broker runs on, without flags. */
  public static JsonObject load(Path file, Map<String, String> env) {
    return resolve(file, env, Flags.NONE).json();
  }

  /**
   * The effective configuration and each value's origin.
   *
   * @param file the configuration file, or null to run on the defaults
   */
  public static EffectiveConfig resolve(Path file, Map<String, String> env, Flags flags) {
    JsonObject conf = defaults();
    Map<String, String> origins = new LinkedHashMap<>();
    Map<String, Object> leaves = leaves(conf, "", new LinkedHashMap<>());
    leaves.keySet().forEach(path -> origins.put(path, "default"));
    if (file != null) {
      mergeFile(conf, read(file), "", origins);
    }
    EnvironmentLayer.apply(conf, leaves, env, origins);
    applyFlags(conf, flags, origins);
    leaves(conf, "", new LinkedHashMap<>()).forEach(ConfigRules::checkRange);
    return new EffectiveConfig(conf, origins);
  }

  private static JsonObject read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read config file " + file + ": " + e.getMessage(), e);
    }
    try {
      return parse(text);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " (line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr()
                  + ")";
      throw new IllegalArgumentException(
          "config file " + file + " is not valid JSON: " + e.getOriginalMessage() + where, e);
    } catch (IOException e) {
      throw new IllegalArgumentException("config file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * JSON text as a JsonObject, read by Jackson itself: Vert.x's own JSON codec makes a logger as it
   * loads, which fixes the log level before {@code log.level} is known.
   */
  @SuppressWarnings("unchecked")
  private static JsonObject parse(String text) throws IOException {
    Object value = JSON.readValue(text, Object.class);
    if (!(value instanceof Map<?, ?> map)) {
      throw new IOException("the configuration must be a JSON object {...}");
    }
    return new JsonObject((Map<String, Object>) map);
  }

  /**
   * Puts each value of {@code file} over {@code conf}; refuses what {@code conf} has no room for.
   */
  private static void mergeFile(
      JsonObject conf, JsonObject file, String prefix, Map<String, String> origins) {
    for (String key : file.fieldNames()) {
      String path = prefix + key;
      if (!conf.containsKey(key)) {
        throw new IllegalArgumentException(
            path + ": unknown setting" + ConfigRules.suggestion(path, known(origins.keySet())));
      }
      Object known = conf.getValue(key);
      Object value = file.getValue(key);
      if (known instanceof JsonObject section) {
        if (!(value instanceof JsonObject nested)) {
          throw ConfigRules.wrong(path, "a section {...}", value);
        }
        mergeFile(section, nested, path + ".", origins);
      } else {
        conf.put(key, ConfigRules.typed(path, known, value));
        origins.put(path, "file");
      }
    }
  }

  private static void applyFlags(JsonObject conf, Flags flags, Map<String, String> origins) {
    if (flags.cluster()) {
      conf.getJsonObject("cluster").put("enabled", true);
      origins.put("cluster.enabled", "flag --cluster");
    }
    if (flags.portOffset() == 0) {
      return;
    }
    List<String> ports = new ArrayList<>();
    leaves(conf, "", new LinkedHashMap<>())
        .forEach(
            (path, value) -> {
              if (ConfigRules.isPort(path) && value instanceof Number port && port.intValue() > 0) {
                ports.add(path);
              }
            });
    for (String path : ports) {
      JsonObject section = section(conf, path);
      int port = section.getInteger(last(path));
      int shifted = port + flags.portOffset();
      if (shifted < 1 || shifted > 65_535) {
        throw new IllegalArgumentException(
            path
                + ": "
                + port
                + " + --port-offset "
                + flags.portOffset()
                + " = "
                + shifted
                + " is out of range 1..65535");
      }
      section.put(last(path), shifted);
      origins.put(
          path,
          "flag --port-offset " + flags.portOffset() + " on " + origins.get(path) + " " + port);
    }
  }

  /** The paths of every setting and every section: {@code tcp.port}, {@code tcp}. */
  private static Set<String> known(Set<String> settings) {
    Set<String> known = new java.util.HashSet<>(settings);
    settings.forEach(path -> known.add(path.substring(0, Math.max(0, path.lastIndexOf('.')))));
    return known;
  }

  /** Every leaf of {@code conf} by path ({@code tcp.port}), in the file's order. */
  static Map<String, Object> leaves(JsonObject conf, String prefix, Map<String, Object> into) {
    for (String key : conf.fieldNames()) {
      Object value = conf.getValue(key);
      if (value instanceof JsonObject nested) {
        leaves(nested, prefix + key + ".", into);
      } else {
        into.put(prefix + key, value);
      }
    }
    return into;
  }

  /** The section that holds the leaf at {@code path}. */
  static JsonObject section(JsonObject conf, String path) {
    JsonObject section = conf;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      section = section.getJsonObject(parts[i]);
    }
    return section;
  }

  static String last(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }
}

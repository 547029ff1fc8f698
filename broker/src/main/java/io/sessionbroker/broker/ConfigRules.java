package io.sessionbroker.broker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a setting may hold: its type is the type of its default (a whole number, a number, true or
 * false, a string, a list), its range is in {@link #RANGES} (every {@code port} is 0..65535), and a
 * few strings take one of {@link #CHOICES}. Each check names the setting's path and what it got, so
 * the operator reads what to fix: {@code tcp.port: expected a number, got "seventy"}.
 *
 * <p>The records that consume the settings (TcpOptions, TableOptions, …) validate again, for rules
 * that tie two settings together (a default heartbeat within its clamp); this class catches the
 * mistakes of one value, before them.
 */
final class ConfigRules {

  /** Inclusive bounds of a numeric setting. */
  record Range(double min, double max) {

    boolean contains(double value) {
      return value >= min && value <= max;
    }

    /**
     * What a value outside says: {@code is out of range 1..1000}, {@code is below the minimum 128}.
     */
    String refusal() {
      return max >= Integer.MAX_VALUE
          ? "is below the minimum " + number(min)
          : "is out of range " + number(min) + ".." + number(max);
    }

    private static String number(double value) {
      return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
  }

  private static final Range PORT = new Range(0, 65_535);

  /** A listener's {@code tlsPort}: -1 = no TLS port (docs/security.md). */
  private static final Range TLS_PORT = new Range(-1, 65_535);

  private static final Range POSITIVE = new Range(1, Integer.MAX_VALUE);
  private static final Range NOT_NEGATIVE = new Range(0, Integer.MAX_VALUE);
  private static final Range WHOLE = new Range(Integer.MIN_VALUE, Integer.MAX_VALUE);

  /**
   * Bounds of the numeric settings; a port not listed is {@link #PORT}, any other whole number fits
   * an int.
   */
  static final Map<String, Range> RANGES =
      Map.ofEntries(
          Map.entry("table.tickMs", new Range(1, 1_000)),
          Map.entry("table.maxEvictionsPerTick", POSITIVE),
          Map.entry("table.defaultHeartbeatMs", POSITIVE),
          Map.entry("table.minHeartbeatMs", POSITIVE),
          Map.entry("table.maxHeartbeatMs", POSITIVE),
          Map.entry("table.timeoutMultiplier", new Range(1, 100)),
          Map.entry("table.minTimeoutMs", POSITIVE),
          Map.entry("table.maxTimeoutMs", POSITIVE),
          Map.entry("auth.reloadCheckMs", NOT_NEGATIVE),
          Map.entry("auth.failureDelayMs", new Range(0, 60_000)),
          Map.entry("auth.failureEventsPerSecond", NOT_NEGATIVE),
          Map.entry("bridge.maxFrameBytes", new Range(256, 64 * 1024 * 1024)),
          Map.entry("bridge.maxBacklogBytes", new Range(65_536, Integer.MAX_VALUE)),
          Map.entry("tcp.handshakeTimeoutMs", POSITIVE),
          Map.entry("tcp.maxFrameBytes", POSITIVE),
          Map.entry("tcp.keepAliveIdleS", new Range(1, 32_767)),
          Map.entry("tcp.keepAliveIntervalS", new Range(1, 32_767)),
          Map.entry("tcp.keepAliveCount", new Range(1, 127)),
          Map.entry("tcp.maxConnections", POSITIVE),
          Map.entry("udp.maxDatagramBytes", new Range(256, 2_048)),
          Map.entry("udp.eventLoops", new Range(0, 1_024)),
          Map.entry("udp.receiveBufferBytes", NOT_NEGATIVE),
          Map.entry("udp.rejectionsPerSecond", NOT_NEGATIVE),
          Map.entry("udp.readPauseMicros", new Range(0, 1_000_000)),
          Map.entry("mqtt.connectTimeoutMs", POSITIVE),
          Map.entry("mqtt.maxKeepAliveSeconds", new Range(1, 65_535)),
          Map.entry("mqtt.maxMessageBytes", new Range(64, 268_435_455)),
          Map.entry("mqtt.aclReloadCheckMs", NOT_NEGATIVE),
          Map.entry("websocket.handshakeTimeoutMs", POSITIVE),
          Map.entry("websocket.maxFrameBytes", new Range(128, Integer.MAX_VALUE)),
          Map.entry("websocket.maxHeaderBytes", new Range(1_024, Integer.MAX_VALUE)),
          Map.entry("websocket.pingIntervalMs", new Range(-1, Integer.MAX_VALUE)),
          Map.entry("shutdown.graceMs", new Range(0, 60_000)),
          Map.entry("shutdown.maxDrainMs", new Range(0, 60_000)),
          Map.entry("limits.connectsPerSecond", NOT_NEGATIVE),
          Map.entry("limits.connectsPerSecondPerAddress", NOT_NEGATIVE),
          Map.entry("limits.maxConnectionsPerAddress", NOT_NEGATIVE),
          Map.entry("limits.flappingMaxDisconnects", NOT_NEGATIVE),
          Map.entry("limits.flappingWindowMs", POSITIVE),
          Map.entry("limits.flappingBanMs", POSITIVE),
          Map.entry("commands.defaultTimeoutMs", new Range(1, 3_600_000)),
          Map.entry("commands.maxTimeoutMs", new Range(1, 3_600_000)),
          Map.entry("commands.maxPayloadBytes", new Range(1, 16 * 1024 * 1024)),
          Map.entry("commands.maxInFlightPerDevice", new Range(1, 10_000)),
          Map.entry("cluster.quorum", new Range(1, 1_000)),
          Map.entry("node.warmupCloses", new Range(0, 100_000)),
          Map.entry("node.warmupMaxMs", new Range(100, 600_000)),
          Map.entry("node.eventLoops", new Range(0, 1_024)));

  /** Settings that take one of a few words. */
  static final Map<String, List<String>> CHOICES =
      Map.of(
          "log.level", List.of("error", "warn", "info", "debug", "trace"),
          "log.format", List.of("text", "json"),
          "tls.clientAuth", List.of("none", "request", "require"),
          "tls.engine", List.of("openssl", "jdk"),
          // IoTransports.NAMES, spelled out: naming that class here would make its logger while the
          // configuration is read, before log.level and log.format are applied (IoTransportsTest)
          "node.ioTransport", List.of("io_uring", "epoll", "nio"));

  private ConfigRules() {}

  /**
   * {@code value} checked against the type of {@code defaultValue}; a whole number comes back as an
   * Integer.
   */
  static Object typed(String path, Object defaultValue, Object value) {
    if (defaultValue instanceof Boolean) {
      if (value instanceof Boolean) {
        return value;
      }
      throw wrong(path, "true or false", value);
    }
    if (defaultValue instanceof Integer || defaultValue instanceof Long) {
      if (!(value instanceof Number number)) {
        throw wrong(path, "a number", value);
      }
      if (number.doubleValue() != Math.rint(number.doubleValue())) {
        throw wrong(path, "a whole number", value);
      }
      if (!WHOLE.contains(number.doubleValue())) {
        throw new IllegalArgumentException(
            path
                + ": "
                + number
                + " is out of range "
                + Integer.MIN_VALUE
                + ".."
                + Integer.MAX_VALUE);
      }
      return number.intValue();
    }
    if (defaultValue instanceof Number) {
      if (value instanceof Number) {
        return value;
      }
      throw wrong(path, "a number", value);
    }
    if (defaultValue instanceof JsonArray) {
      if (value instanceof JsonArray) {
        return value;
      }
      throw wrong(path, "a list [...]", value);
    }
    if (value instanceof String) {
      return value;
    }
    throw wrong(path, "a string", value);
  }

  /** Throws when a number is out of its range or a word is not one of its choices. */
  static void checkRange(String path, Object value) {
    if (value instanceof Number number) {
      Range range = range(path);
      if (!range.contains(number.doubleValue())) {
        throw new IllegalArgumentException(path + ": " + number + " " + range.refusal());
      }
    }
    List<String> choices = CHOICES.get(path);
    if (choices != null && !choices.contains(String.valueOf(value))) {
      throw new IllegalArgumentException(
          path + ": expected one of " + String.join(", ", choices) + ", got " + show(value));
    }
  }

  static Range range(String path) {
    Range range = RANGES.get(path);
    if (range != null) {
      return range;
    }
    if (path.endsWith(".tlsPort")) {
      return TLS_PORT;
    }
    return isPort(path) ? PORT : WHOLE;
  }

  /**
   * A setting that {@code --port-offset} moves: {@code tcp.port}, {@code http.port}, {@code
   * mqtt.tlsPort}, …
   */
  static boolean isPort(String path) {
    return path.endsWith(".port") || path.endsWith(".tlsPort");
  }

  /** {@code " (did you mean tcp.port?)"} when a known path is near {@code path}, else "". */
  static String suggestion(String path, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int distance = distance(path.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    int tolerated = Math.max(2, lastPart(path).length() / 3);
    return best != null && bestDistance <= tolerated ? " (did you mean " + best + "?)" : "";
  }

  private static String lastPart(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  static IllegalArgumentException wrong(String path, String expected, Object value) {
    return new IllegalArgumentException(path + ": expected " + expected + ", got " + show(value));
  }

  /** A value as the operator wrote it in JSON: strings quoted. */
  static String show(Object value) {
    if (value instanceof String text) {
      return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    if (value instanceof JsonObject object) {
      return object.encode();
    }
    return String.valueOf(value);
  }
}

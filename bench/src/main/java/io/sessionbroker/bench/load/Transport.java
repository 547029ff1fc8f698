package io.sessionbroker.bench.load;

import java.util.Locale;

/** The device transports the load generator speaks. UDP joins when its transport lands on main. */
public enum Transport {
  TCP, MQTT, WEBSOCKET;

  /** Parses {@code tcp}, {@code mqtt}, {@code websocket} (or {@code ws}). */
  public static Transport parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "tcp" -> TCP;
      case "mqtt" -> MQTT;
      case "websocket", "ws" -> WEBSOCKET;
      default -> throw new IllegalArgumentException("unknown transport " + name + " (tcp, mqtt, websocket)");
    };
  }

  /** The name used on the command line and in reports. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

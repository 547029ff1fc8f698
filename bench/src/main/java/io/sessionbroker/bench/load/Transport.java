package io.sessionbroker.bench.load;

import java.util.Locale;

/** The device transports the load generator speaks. */
public enum Transport {
  TCP,
  MQTT,
  WEBSOCKET,
  UDP;

  /** Parses {@code tcp}, {@code mqtt}, {@code websocket} (or {@code ws}), {@code udp}. */
  public static Transport parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "tcp" -> TCP;
      case "mqtt" -> MQTT;
      case "websocket", "ws" -> WEBSOCKET;
      case "udp" -> UDP;
      default ->
          throw new IllegalArgumentException(
              "unknown transport " + name + " (tcp, mqtt, websocket, udp)");
    };
  }

  /** Whether each device of this transport holds a socket (a file descriptor) of its own. */
  public boolean holdsSocket() {
    return this != UDP;
  }

  /** The name used on the command line and in reports. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

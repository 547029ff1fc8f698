package io.sessionbroker.transports.mqtt;

import io.vertx.core.json.JsonObject;

/**
 * Settings of the MQTT transport ({@code "mqtt"} in the broker configuration).
 *
 * @param host the address to bind; loopback by default (DESIGN §8)
 * @param port the TCP port; 0 picks an ephemeral port (tests)
 * @param connectTimeoutMs how long a new connection may stay silent before its CONNECT; then it is
 *     closed and reported as {@code sessions.rejected} with code {@code connect_timeout}
 * @param maxKeepAliveSeconds the largest keep-alive granted; a client asking for more gets this
 *     (MQTT 5: told in the CONNACK's Server Keep Alive, §3.2.2.3.14; MQTT 3.1.1 cannot be told, so
 *     keep it above the keep-alive of your 3.1.1 devices)
 * @param maxMessageBytes the largest MQTT packet accepted; a bigger one closes the connection
 */
public record MqttOptions(
    String host, int port, int connectTimeoutMs, int maxKeepAliveSeconds, int maxMessageBytes) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 1883;
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_KEEP_ALIVE_SECONDS = 300;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

  /** The largest keep-alive MQTT can express: a two-byte integer (§3.1.2.10). */
  public static final int PROTOCOL_MAX_KEEP_ALIVE_SECONDS = 65_535;

  public MqttOptions {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
    }
    if (connectTimeoutMs <= 0) {
      throw new IllegalArgumentException("connectTimeoutMs must be > 0, was " + connectTimeoutMs);
    }
    if (maxKeepAliveSeconds < 1 || maxKeepAliveSeconds > PROTOCOL_MAX_KEEP_ALIVE_SECONDS) {
      throw new IllegalArgumentException(
          "maxKeepAliveSeconds must be in [1, 65535], was " + maxKeepAliveSeconds);
    }
    if (maxMessageBytes < 64) {
      throw new IllegalArgumentException("maxMessageBytes must be >= 64, was " + maxMessageBytes);
    }
  }

  public static MqttOptions defaults() {
    return fromJson(new JsonObject());
  }

  /** Reads options from JSON; missing keys take their {@code DEFAULT_*} value. */
  public static MqttOptions fromJson(JsonObject json) {
    return new MqttOptions(
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        json.getInteger("connectTimeoutMs", DEFAULT_CONNECT_TIMEOUT_MS),
        json.getInteger("maxKeepAliveSeconds", DEFAULT_MAX_KEEP_ALIVE_SECONDS),
        json.getInteger("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host)
        .put("port", port)
        .put("connectTimeoutMs", connectTimeoutMs)
        .put("maxKeepAliveSeconds", maxKeepAliveSeconds)
        .put("maxMessageBytes", maxMessageBytes);
  }

  public MqttOptions withPort(int port) {
    return new MqttOptions(host, port, connectTimeoutMs, maxKeepAliveSeconds, maxMessageBytes);
  }
}

package io.sessionbroker.transports.websocket;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Settings of the WebSocket transport ({@code websocket} in the broker configuration). Named {@code
 * WsOptions} so it does not clash with Vert.x's own {@code WebSocket*Options} classes.
 *
 * @param host interface to bind; loopback by default (DESIGN §8)
 * @param port TCP port; 0 = an ephemeral port (see {@link WebSocketTransport#port()})
 * @param path the only request path that is upgraded; every other path answers HTTP 404
 * @param handshakeTimeoutMs how long a connection may take from TCP accept to the WebSocket
 *     upgrade, and again from the upgrade to a valid {@code hello}; a device that is late is
 *     rejected with {@code handshake_timeout} (close code 1008 once upgraded)
 * @param maxFrameBytes largest accepted text message (after reassembly of fragments); a larger one
 *     ends the connection with close code 1009
 * @param maxHeaderBytes largest accepted HTTP header block of the upgrade request; larger ones
 *     answer HTTP 431
 * @param pingIntervalMs period of the broker's WebSocket ping frames: 0 = half the negotiated
 *     heartbeat (so two pings fall into every heartbeat and three into every timeout), -1 = never
 *     ping (the device must then send frames of its own), otherwise a fixed period
 * @param allowedOrigins web origins ({@code scheme://host[:port]}, {@code null}, or {@code *} for
 *     all) whose pages may open a session besides the broker's own host; upgrades without an {@code
 *     Origin} header are always allowed, others answer HTTP 403 ({@link OriginPolicy})
 */
public record WsOptions(
    String host,
    int port,
    String path,
    int handshakeTimeoutMs,
    int maxFrameBytes,
    int maxHeaderBytes,
    int pingIntervalMs,
    List<String> allowedOrigins) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7080;
  public static final String DEFAULT_PATH = "/devices";
  public static final int DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
  public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024;
  public static final int DEFAULT_MAX_HEADER_BYTES = 8 * 1024;

  /** Derive the ping period from the negotiated heartbeat. */
  public static final int PING_DERIVED = 0;

  /** Send no ping frames. */
  public static final int PING_NEVER = -1;

  public static final int DEFAULT_PING_INTERVAL_MS = PING_DERIVED;

  /** Only requests without {@code Origin} and pages of the broker's own host. */
  public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();

  public WsOptions {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
    }
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/', was " + path);
    }
    positive("handshakeTimeoutMs", handshakeTimeoutMs);
    if (maxFrameBytes < 128) {
      throw new IllegalArgumentException(
          "maxFrameBytes must be >= 128 (a hello must fit), was " + maxFrameBytes);
    }
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("maxHeaderBytes must be >= 1024, was " + maxHeaderBytes);
    }
    if (pingIntervalMs < PING_NEVER) {
      throw new IllegalArgumentException(
          "pingIntervalMs must be -1 (never), 0 (derived) or > 0, was " + pingIntervalMs);
    }
    allowedOrigins = allowedOrigins == null ? DEFAULT_ALLOWED_ORIGINS : List.copyOf(allowedOrigins);
    new OriginPolicy(allowedOrigins); // refuses an entry that is not an origin
  }

  /** With the default {@code allowedOrigins}. */
  public WsOptions(
      String host,
      int port,
      String path,
      int handshakeTimeoutMs,
      int maxFrameBytes,
      int maxHeaderBytes,
      int pingIntervalMs) {
    this(
        host,
        port,
        path,
        handshakeTimeoutMs,
        maxFrameBytes,
        maxHeaderBytes,
        pingIntervalMs,
        DEFAULT_ALLOWED_ORIGINS);
  }

  public static WsOptions defaults() {
    return fromJson(new JsonObject());
  }

  /** Reads options from JSON; missing fields take their {@code DEFAULT_*} value. */
  public static WsOptions fromJson(JsonObject json) {
    return new WsOptions(
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        json.getString("path", DEFAULT_PATH),
        json.getInteger("handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS),
        json.getInteger("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES),
        json.getInteger("maxHeaderBytes", DEFAULT_MAX_HEADER_BYTES),
        json.getInteger("pingIntervalMs", DEFAULT_PING_INTERVAL_MS),
        origins(json.getValue("allowedOrigins")));
  }

  /**
   * A JSON array of strings, or one string of comma-separated origins (what an environment variable
   * gives, {@code BROKER_WEBSOCKET_ALLOWED_ORIGINS}).
   */
  private static List<String> origins(Object value) {
    if (value == null) {
      return DEFAULT_ALLOWED_ORIGINS;
    }
    if (value instanceof String text) {
      return Arrays.stream(text.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
    }
    if (value instanceof JsonArray array) {
      List<String> origins = new ArrayList<>();
      for (Object origin : array) {
        if (!(origin instanceof String text)) {
          throw new IllegalArgumentException(
              "allowedOrigins must hold strings, found " + origin + " in " + array.encode());
        }
        origins.add(text.trim());
      }
      return origins;
    }
    throw new IllegalArgumentException(
        "allowedOrigins must be an array of origins or a comma-separated string, was " + value);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host)
        .put("port", port)
        .put("path", path)
        .put("handshakeTimeoutMs", handshakeTimeoutMs)
        .put("maxFrameBytes", maxFrameBytes)
        .put("maxHeaderBytes", maxHeaderBytes)
        .put("pingIntervalMs", pingIntervalMs)
        .put("allowedOrigins", new JsonArray(new ArrayList<>(allowedOrigins)));
  }

  /** A copy on another port: tests bind port 0. */
  public WsOptions withPort(int port) {
    return new WsOptions(
        host,
        port,
        path,
        handshakeTimeoutMs,
        maxFrameBytes,
        maxHeaderBytes,
        pingIntervalMs,
        allowedOrigins);
  }

  /** The ping period for a session granted {@code heartbeatMs}; 0 = send no pings. */
  public long pingPeriodMs(int heartbeatMs) {
    if (pingIntervalMs == PING_NEVER) {
      return 0;
    }
    return pingIntervalMs == PING_DERIVED ? Math.max(1, heartbeatMs / 2) : pingIntervalMs;
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
  }
}

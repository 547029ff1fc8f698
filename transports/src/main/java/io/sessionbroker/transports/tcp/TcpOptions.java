package io.sessionbroker.transports.tcp;

import io.vertx.core.json.JsonObject;

/**
 * Settings of the raw TCP listener (JSON lines).
 *
 * @param host address to bind; 127.0.0.1 unless devices must reach it from elsewhere
 * @param port port to bind; 0 picks a free one
 * @param handshakeTimeoutMs time a new connection has to send its {@code hello}
 * @param maxFrameBytes longest accepted line, newline excluded
 * @param keepAliveIdleS kernel TCP keepalive: idle seconds before the first probe
 * @param keepAliveIntervalS seconds between unanswered probes
 * @param keepAliveCount unanswered probes before the kernel declares the peer gone
 * @param maxConnections open connections above which new ones are refused
 */
public record TcpOptions(
    String host,
    int port,
    int handshakeTimeoutMs,
    int maxFrameBytes,
    int keepAliveIdleS,
    int keepAliveIntervalS,
    int keepAliveCount,
    int maxConnections) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7000;
  public static final int DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_FRAME_BYTES = 8 * 1024;
  public static final int DEFAULT_KEEP_ALIVE_IDLE_S = 60;
  public static final int DEFAULT_KEEP_ALIVE_INTERVAL_S = 10;
  public static final int DEFAULT_KEEP_ALIVE_COUNT = 3;
  public static final int DEFAULT_MAX_CONNECTIONS = 19_000;

  public TcpOptions {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("tcp.host must be set");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("tcp.port must be 0..65535, was " + port);
    }
    positive("tcp.handshakeTimeoutMs", handshakeTimeoutMs);
    positive("tcp.maxFrameBytes", maxFrameBytes);
    positive("tcp.keepAliveIdleS", keepAliveIdleS);
    positive("tcp.keepAliveIntervalS", keepAliveIntervalS);
    positive("tcp.keepAliveCount", keepAliveCount);
    positive("tcp.maxConnections", maxConnections);
  }

  public static TcpOptions fromJson(JsonObject json) {
    return new TcpOptions(
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        json.getInteger("handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS),
        json.getInteger("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES),
        json.getInteger("keepAliveIdleS", DEFAULT_KEEP_ALIVE_IDLE_S),
        json.getInteger("keepAliveIntervalS", DEFAULT_KEEP_ALIVE_INTERVAL_S),
        json.getInteger("keepAliveCount", DEFAULT_KEEP_ALIVE_COUNT),
        json.getInteger("maxConnections", DEFAULT_MAX_CONNECTIONS));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host)
        .put("port", port)
        .put("handshakeTimeoutMs", handshakeTimeoutMs)
        .put("maxFrameBytes", maxFrameBytes)
        .put("keepAliveIdleS", keepAliveIdleS)
        .put("keepAliveIntervalS", keepAliveIntervalS)
        .put("keepAliveCount", keepAliveCount)
        .put("maxConnections", maxConnections);
  }

  /** The same options on another port (tests bind to 0). */
  public TcpOptions withPort(int newPort) {
    return new TcpOptions(
        host,
        newPort,
        handshakeTimeoutMs,
        maxFrameBytes,
        keepAliveIdleS,
        keepAliveIntervalS,
        keepAliveCount,
        maxConnections);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
  }
}

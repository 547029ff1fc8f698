package io.sessionbroker.transports.limits;

import io.vertx.core.json.JsonObject;

/**
 * The {@code limits} section: how fast devices may connect, how many connections one address may
 * hold, and when a device that keeps reconnecting is banned (docs/security.md, "Limits and
 * flapping", gives the reasoning behind each default). 0 turns a limit off.
 *
 * @param connectsPerSecond new connections per second in all, on every TCP-based listener and UDP
 *     hellos together; a burst of as many is allowed
 * @param connectsPerSecondPerAddress new connections per second from one source address
 * @param maxConnectionsPerAddress open connections from one source address (TCP-based listeners)
 * @param flappingMaxDisconnects more disconnects of one device within the window ban it
 * @param flappingWindowMs the window
 * @param flappingBanMs how long the ban lasts
 */
public record LimitsOptions(
    int connectsPerSecond,
    int connectsPerSecondPerAddress,
    int maxConnectionsPerAddress,
    int flappingMaxDisconnects,
    int flappingWindowMs,
    int flappingBanMs) {

  public static final int DEFAULT_CONNECTS_PER_SECOND = 2_000;
  public static final int DEFAULT_CONNECTS_PER_SECOND_PER_ADDRESS = 500;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 0;
  public static final int DEFAULT_FLAPPING_MAX_DISCONNECTS = 15;
  public static final int DEFAULT_FLAPPING_WINDOW_MS = 60_000;
  public static final int DEFAULT_FLAPPING_BAN_MS = 300_000;

  /** Every limit off. */
  public static final LimitsOptions OFF = new LimitsOptions(0, 0, 0, 0, 1, 1);

  public LimitsOptions {
    if (connectsPerSecond < 0 || connectsPerSecondPerAddress < 0 || maxConnectionsPerAddress < 0) {
      throw new IllegalArgumentException("limits must be >= 0 (0 = off)");
    }
    if (flappingMaxDisconnects < 0 || flappingWindowMs < 1 || flappingBanMs < 1) {
      throw new IllegalArgumentException(
          "limits.flappingMaxDisconnects must be >= 0 (0 = off), flappingWindowMs and"
              + " flappingBanMs >= 1");
    }
  }

  public static LimitsOptions fromJson(JsonObject json) {
    return new LimitsOptions(
        json.getInteger("connectsPerSecond", DEFAULT_CONNECTS_PER_SECOND),
        json.getInteger("connectsPerSecondPerAddress", DEFAULT_CONNECTS_PER_SECOND_PER_ADDRESS),
        json.getInteger("maxConnectionsPerAddress", DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
        json.getInteger("flappingMaxDisconnects", DEFAULT_FLAPPING_MAX_DISCONNECTS),
        json.getInteger("flappingWindowMs", DEFAULT_FLAPPING_WINDOW_MS),
        json.getInteger("flappingBanMs", DEFAULT_FLAPPING_BAN_MS));
  }
}

package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * Settings of commands to devices (the {@code commands} section, docs/configuration.md).
 *
 * @param defaultTimeoutMs how long a command waits for its reply when the sender names no {@code
 *     timeoutMs}
 * @param maxTimeoutMs the longest {@code timeoutMs} a sender may ask for (a longer one is a bad
 *     request)
 * @param maxPayloadBytes the longest payload, as encoded JSON; a longer one fails with 413
 * @param maxInFlightPerDevice commands of one device waiting for replies at once; one more fails
 *     with 429
 */
public record CommandOptions(
    int defaultTimeoutMs, int maxTimeoutMs, int maxPayloadBytes, int maxInFlightPerDevice) {

  public static final int DEFAULT_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_TIMEOUT_MS = 60_000;
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 8_192;
  public static final int DEFAULT_MAX_IN_FLIGHT_PER_DEVICE = 16;

  public CommandOptions {
    if (defaultTimeoutMs < 1 || maxTimeoutMs < defaultTimeoutMs) {
      throw new IllegalArgumentException("need 1 <= defaultTimeoutMs <= maxTimeoutMs");
    }
    if (maxPayloadBytes < 1 || maxInFlightPerDevice < 1) {
      throw new IllegalArgumentException("maxPayloadBytes and maxInFlightPerDevice must be >= 1");
    }
  }

  public static CommandOptions defaults() {
    return new CommandOptions(
        DEFAULT_TIMEOUT_MS,
        DEFAULT_MAX_TIMEOUT_MS,
        DEFAULT_MAX_PAYLOAD_BYTES,
        DEFAULT_MAX_IN_FLIGHT_PER_DEVICE);
  }

  /** Reads options from JSON; missing fields take their {@code DEFAULT_*} value. */
  public static CommandOptions fromJson(JsonObject json) {
    return new CommandOptions(
        json.getInteger("defaultTimeoutMs", DEFAULT_TIMEOUT_MS),
        json.getInteger("maxTimeoutMs", DEFAULT_MAX_TIMEOUT_MS),
        json.getInteger("maxPayloadBytes", DEFAULT_MAX_PAYLOAD_BYTES),
        json.getInteger("maxInFlightPerDevice", DEFAULT_MAX_IN_FLIGHT_PER_DEVICE));
  }
}

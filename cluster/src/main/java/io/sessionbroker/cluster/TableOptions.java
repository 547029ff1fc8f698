package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * Settings of the session table. All durations in milliseconds.
 *
 * @param tickMs period of the eviction tick; a silent session is evicted at most one tick after its
 *     deadline
 * @param maxEvictionsPerTick bound on evictions per tick, so a mass expiry (a network partition)
 *     becomes a steady stream of close events instead of a storm
 * @param defaultHeartbeatMs heartbeat granted to a device that does not ask for one
 * @param minHeartbeatMs smallest heartbeat granted (a device asking for less gets this)
 * @param maxHeartbeatMs largest heartbeat granted; keep it below typical NAT idle timeouts
 * @param timeoutMultiplier timeout = heartbeat × multiplier (MQTT 3.1.1 §3.1.2.10 uses 1.5)
 * @param minTimeoutMs lower clamp of the computed timeout
 * @param maxTimeoutMs upper clamp of the computed timeout
 */
public record TableOptions(
    int tickMs,
    int maxEvictionsPerTick,
    int defaultHeartbeatMs,
    int minHeartbeatMs,
    int maxHeartbeatMs,
    double timeoutMultiplier,
    int minTimeoutMs,
    int maxTimeoutMs) {

  /**
   * A silent session is evicted at most one tick after its deadline. Each tick is a timed wake-up
   * of the table's threads, so a shorter tick costs idle CPU and a longer one adds lateness:
   * docs/benchmarks.md, "Why the defaults", has both measured.
   */
  public static final int DEFAULT_TICK_MS = 5;

  public static final int DEFAULT_MAX_EVICTIONS_PER_TICK = 500;
  public static final int DEFAULT_HEARTBEAT_MS = 30_000;
  public static final int DEFAULT_MIN_HEARTBEAT_MS = 1_000;
  public static final int DEFAULT_MAX_HEARTBEAT_MS = 300_000;
  public static final double DEFAULT_TIMEOUT_MULTIPLIER = 1.5;
  public static final int DEFAULT_MIN_TIMEOUT_MS = 1_000;
  public static final int DEFAULT_MAX_TIMEOUT_MS = 900_000;

  public TableOptions {
    positive("tickMs", tickMs);
    positive("maxEvictionsPerTick", maxEvictionsPerTick);
    positive("minHeartbeatMs", minHeartbeatMs);
    positive("minTimeoutMs", minTimeoutMs);
    if (maxHeartbeatMs < minHeartbeatMs) {
      throw new IllegalArgumentException("maxHeartbeatMs < minHeartbeatMs");
    }
    if (defaultHeartbeatMs < minHeartbeatMs || defaultHeartbeatMs > maxHeartbeatMs) {
      throw new IllegalArgumentException(
          "defaultHeartbeatMs outside [minHeartbeatMs, maxHeartbeatMs]");
    }
    if (maxTimeoutMs < minTimeoutMs) {
      throw new IllegalArgumentException("maxTimeoutMs < minTimeoutMs");
    }
    if (!(timeoutMultiplier >= 1.0)) {
      throw new IllegalArgumentException(
          "timeoutMultiplier must be >= 1, was " + timeoutMultiplier);
    }
  }

  public static TableOptions defaults() {
    return builder().build();
  }

  /**
   * Options by name, starting from the {@code DEFAULT_*} values: {@code
   * TableOptions.builder().tickMs(10).minHeartbeatMs(100).build()}. Use this, not the canonical
   * constructor (which a record must keep public): eight numbers in a row are easy to misorder.
   * Validation stays in the canonical constructor, so every path is checked the same way.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Reads options from JSON; missing fields take their {@code DEFAULT_*} value. */
  public static TableOptions fromJson(JsonObject json) {
    return builder()
        .tickMs(json.getInteger("tickMs", DEFAULT_TICK_MS))
        .maxEvictionsPerTick(json.getInteger("maxEvictionsPerTick", DEFAULT_MAX_EVICTIONS_PER_TICK))
        .defaultHeartbeatMs(json.getInteger("defaultHeartbeatMs", DEFAULT_HEARTBEAT_MS))
        .minHeartbeatMs(json.getInteger("minHeartbeatMs", DEFAULT_MIN_HEARTBEAT_MS))
        .maxHeartbeatMs(json.getInteger("maxHeartbeatMs", DEFAULT_MAX_HEARTBEAT_MS))
        .timeoutMultiplier(json.getDouble("timeoutMultiplier", DEFAULT_TIMEOUT_MULTIPLIER))
        .minTimeoutMs(json.getInteger("minTimeoutMs", DEFAULT_MIN_TIMEOUT_MS))
        .maxTimeoutMs(json.getInteger("maxTimeoutMs", DEFAULT_MAX_TIMEOUT_MS))
        .build();
  }

  /**
   * Builds {@link TableOptions} by name; each setting not given keeps its {@code DEFAULT_*} value.
   */
  public static final class Builder {

    private int tickMs = DEFAULT_TICK_MS;
    private int maxEvictionsPerTick = DEFAULT_MAX_EVICTIONS_PER_TICK;
    private int defaultHeartbeatMs = DEFAULT_HEARTBEAT_MS;
    private int minHeartbeatMs = DEFAULT_MIN_HEARTBEAT_MS;
    private int maxHeartbeatMs = DEFAULT_MAX_HEARTBEAT_MS;
    private double timeoutMultiplier = DEFAULT_TIMEOUT_MULTIPLIER;
    private int minTimeoutMs = DEFAULT_MIN_TIMEOUT_MS;
    private int maxTimeoutMs = DEFAULT_MAX_TIMEOUT_MS;

    private Builder() {}

    public Builder tickMs(int tickMs) {
      this.tickMs = tickMs;
      return this;
    }

    public Builder maxEvictionsPerTick(int maxEvictionsPerTick) {
      this.maxEvictionsPerTick = maxEvictionsPerTick;
      return this;
    }

    public Builder defaultHeartbeatMs(int defaultHeartbeatMs) {
      this.defaultHeartbeatMs = defaultHeartbeatMs;
      return this;
    }

    public Builder minHeartbeatMs(int minHeartbeatMs) {
      this.minHeartbeatMs = minHeartbeatMs;
      return this;
    }

    public Builder maxHeartbeatMs(int maxHeartbeatMs) {
      this.maxHeartbeatMs = maxHeartbeatMs;
      return this;
    }

    public Builder timeoutMultiplier(double timeoutMultiplier) {
      this.timeoutMultiplier = timeoutMultiplier;
      return this;
    }

    public Builder minTimeoutMs(int minTimeoutMs) {
      this.minTimeoutMs = minTimeoutMs;
      return this;
    }

    public Builder maxTimeoutMs(int maxTimeoutMs) {
      this.maxTimeoutMs = maxTimeoutMs;
      return this;
    }

    /**
     * The options; throws {@link IllegalArgumentException} if they are inconsistent (see the
     * constructor).
     */
    public TableOptions build() {
      return new TableOptions(
          tickMs,
          maxEvictionsPerTick,
          defaultHeartbeatMs,
          minHeartbeatMs,
          maxHeartbeatMs,
          timeoutMultiplier,
          minTimeoutMs,
          maxTimeoutMs);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("tickMs", tickMs)
        .put("maxEvictionsPerTick", maxEvictionsPerTick)
        .put("defaultHeartbeatMs", defaultHeartbeatMs)
        .put("minHeartbeatMs", minHeartbeatMs)
        .put("maxHeartbeatMs", maxHeartbeatMs)
        .put("timeoutMultiplier", timeoutMultiplier)
        .put("minTimeoutMs", minTimeoutMs)
        .put("maxTimeoutMs", maxTimeoutMs);
  }

  /**
   * The liveness terms for a device that asked for {@code requestedHeartbeatMs}: -1 takes the
   * default, 0 means no application heartbeat (only for transports that detect loss themselves),
   * anything else is clamped to [min, max]. The timeout is heartbeat × multiplier, clamped to
   * [minTimeoutMs, maxTimeoutMs].
   */
  public Liveness negotiate(long requestedHeartbeatMs) {
    if (requestedHeartbeatMs == 0) {
      return Liveness.NONE;
    }
    long heartbeat =
        requestedHeartbeatMs < 0
            ? defaultHeartbeatMs
            : Math.max(minHeartbeatMs, Math.min(maxHeartbeatMs, requestedHeartbeatMs));
    long timeout = Math.round(heartbeat * timeoutMultiplier);
    timeout = Math.max(minTimeoutMs, Math.min(maxTimeoutMs, timeout));
    return new Liveness((int) heartbeat, (int) timeout);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
  }
}

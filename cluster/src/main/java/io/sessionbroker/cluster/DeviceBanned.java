package io.sessionbroker.cluster;

/**
 * Why {@link SessionTable#open} refused a device: it is banned for flapping ({@link Flapping})
 * until {@code untilMs}. The transport refuses the connection with its wire's answer for a ban and
 * a {@code sessions.rejected} event, code {@link #CODE}.
 */
public final class DeviceBanned extends RuntimeException {

  /** The {@code sessions.rejected} code of a banned device's connection. */
  public static final String CODE = "flapping";

  private final long untilMs;

  public DeviceBanned(String deviceId, long untilMs) {
    super(
        "device " + deviceId + " is banned for flapping (too many disconnects) until " + untilMs,
        null,
        false,
        false);
    this.untilMs = untilMs;
  }

  public long untilMs() {
    return untilMs;
  }
}

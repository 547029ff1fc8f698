package io.sessionbroker.cluster;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Flapping detection, after EMQX's ({@code flapping_detect}: {@code max_count}, {@code
 * window_time}, {@code ban_time}): a device whose sessions end more than {@code maxDisconnects}
 * times within {@code windowMs} is banned for {@code banMs}; while banned, the table refuses to
 * open its sessions ({@link DeviceBanned}).
 *
 * <p>The window is EMQX's fixed one: it starts at a device's first counted disconnect and is
 * forgotten once it has passed. With the defaults (15, 60 s, 5 min): disconnects at 0 s, 1 s, …, 15
 * s are sixteen within the window that started at 0 s, so the sixteenth bans the device until 15 s
 * + 300 s; had the sixteenth come at 61 s, a new window would have started there, at one.
 *
 * <p>Which ends count: every end the device had a hand in ({@code CLIENT_CLOSED}, {@code
 * CONNECTION_LOST}, {@code TIMEOUT}, {@code PROTOCOL_ERROR}, and {@code TAKEN_OVER}: a device that
 * reconnects without closing its old connection, or two devices sharing one id, take over in a
 * loop). Not the operator's or the broker's own ({@code KICKED}, {@code SHUTDOWN}, {@code
 * NODE_LOST}).
 *
 * <p>Contract: told the time, never reads a clock. {@link #disconnected} is called on the table's
 * thread; {@link #bannedUntil}, {@link #bans} and {@link #lift} from any thread (the event loops at
 * a hello, the admin API): every method is synchronized, each is a map lookup or two. A node counts
 * and bans on its own (docs/security.md, "Limits and flapping", says why).
 */
public final class Flapping {

  /** Detection off: nobody is ever banned. */
  public static final Flapping OFF = new Flapping(0, 1, 1);

  private final int maxDisconnects;
  private final long windowMs;
  private final long banMs;

  /** Devices with a window open: its start and the disconnects counted in it. */
  private final Map<String, long[]> windows = new HashMap<>();

  /** Banned devices and when their ban ends. */
  private final Map<String, Long> banned = new HashMap<>();

  private long lastSweep;

  /**
   * @param maxDisconnects more than this many within the window ban a device; 0 turns detection off
   */
  public Flapping(int maxDisconnects, long windowMs, long banMs) {
    if (maxDisconnects < 0 || windowMs < 1 || banMs < 1) {
      throw new IllegalArgumentException(
          "flapping needs maxDisconnects >= 0 (0 = off), windowMs >= 1 and banMs >= 1, was "
              + maxDisconnects
              + ", "
              + windowMs
              + ", "
              + banMs);
    }
    this.maxDisconnects = maxDisconnects;
    this.windowMs = windowMs;
    this.banMs = banMs;
  }

  public boolean enabled() {
    return maxDisconnects > 0;
  }

  /**
   * Whether an end for {@code reason} counts as the device's disconnect (see the class comment).
   */
  public static boolean counts(CloseReason reason) {
    return reason != CloseReason.KICKED
        && reason != CloseReason.SHUTDOWN
        && reason != CloseReason.NODE_LOST;
  }

  /**
   * Counts one disconnect of {@code deviceId} at {@code nowMs}.
   *
   * @return the end of the ban this disconnect started, or 0 when it started none
   */
  public synchronized long disconnected(String deviceId, long nowMs) {
    if (!enabled()) {
      return 0;
    }
    sweep(nowMs);
    long[] window = windows.get(deviceId);
    if (window == null || nowMs - window[0] >= windowMs) {
      window = new long[] {nowMs, 0};
      windows.put(deviceId, window);
    }
    window[1]++;
    if (window[1] <= maxDisconnects) {
      return 0;
    }
    windows.remove(deviceId);
    long until = nowMs + banMs;
    banned.put(deviceId, until);
    return until;
  }

  /** When the ban of {@code deviceId} ends, or 0 when it is not banned at {@code nowMs}. */
  public synchronized long bannedUntil(String deviceId, long nowMs) {
    if (banned.isEmpty()) {
      return 0;
    }
    Long until = banned.get(deviceId);
    if (until == null) {
      return 0;
    }
    if (until <= nowMs) {
      banned.remove(deviceId);
      return 0;
    }
    return until;
  }

  /** The bans in force at {@code nowMs}, device id to the end of its ban, by device id. */
  public synchronized Map<String, Long> bans(long nowMs) {
    banned.values().removeIf(until -> until <= nowMs);
    return new TreeMap<>(banned);
  }

  /**
   * Lifts the ban of {@code deviceId} and forgets its disconnects.
   *
   * @return whether it was banned
   */
  public synchronized boolean lift(String deviceId, long nowMs) {
    windows.remove(deviceId);
    Long until = banned.remove(deviceId);
    return until != null && until > nowMs;
  }

  /**
   * Forgets the windows that have passed and the bans that have ended, at most once a window: what
   * is kept stays bounded by the devices that disconnected within the last window or two.
   */
  private void sweep(long nowMs) {
    if (nowMs - lastSweep < windowMs) {
      return;
    }
    lastSweep = nowMs;
    for (Iterator<long[]> it = windows.values().iterator(); it.hasNext(); ) {
      if (nowMs - it.next()[0] >= windowMs) {
        it.remove();
      }
    }
    banned.values().removeIf(until -> until <= nowMs);
  }
}

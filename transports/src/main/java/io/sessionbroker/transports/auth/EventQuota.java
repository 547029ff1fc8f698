package io.sessionbroker.transports.auth;

import java.util.concurrent.atomic.LongAdder;

/**
 * At most {@code perSecond} events per one-second window, the rest held back and counted; the next
 * event let through learns how many were held back before it. Told the time, reads no clock.
 * Thread-safe: the listeners' event loops share one.
 */
public final class EventQuota {

  private final int perSecond;
  private final LongAdder suppressed = new LongAdder();
  private long windowStartMs;
  private int reported;
  private long heldBack;

  /**
   * @param perSecond events let through per window; 0 lets none through
   */
  public EventQuota(int perSecond) {
    if (perSecond < 0) {
      throw new IllegalArgumentException("perSecond must be >= 0, was " + perSecond);
    }
    this.perSecond = perSecond;
  }

  /**
   * -1 if this window's quota is spent (the event is held back and counted), else how many events
   * were held back since the last one let through.
   */
  public synchronized long admit(long nowMs) {
    if (nowMs - windowStartMs >= 1000 || nowMs < windowStartMs) {
      windowStartMs = nowMs;
      reported = 0;
    }
    if (reported >= perSecond) {
      heldBack++;
      suppressed.increment();
      return -1;
    }
    reported++;
    long held = heldBack;
    heldBack = 0;
    return held;
  }

  /** Events held back since the start. */
  public long suppressed() {
    return suppressed.sum();
  }
}

package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;

/**
 * Counts every dropped datagram and reports it as a {@code sessions.rejected} event, at most {@code
 * perSecond} events per one-second window. A spoofed flood of bad datagrams thus costs the event
 * bus a handful of events a second; the next event that gets through says how many were held back.
 */
final class Rejections {

  private final SessionTable table;
  private final UdpStats stats;
  private final int perSecond;
  private long windowStartMs;
  private int reported;
  private long heldBack;

  Rejections(SessionTable table, UdpStats stats, int perSecond) {
    this.table = table;
    this.stats = stats;
    this.perSecond = perSecond;
  }

  /** Counts a dropped datagram from {@code remote} and reports it if the rate limit allows. */
  void drop(Drop reason, String remote, String deviceId, String message) {
    stats.drop(reason);
    long held = admit(table.clock().millis());
    if (held < 0) {
      stats.count(Counter.REJECTION_EVENTS_SUPPRESSED);
      return;
    }
    stats.count(Counter.REJECTION_EVENTS);
    String text = held == 0 ? message : message + " (" + held + " earlier rejections not reported)";
    table.reject(new Rejection(TransportName.UDP.id(), remote, deviceId, reason.code(), text));
  }

  /**
   * -1 if this window's quota is spent, else how many events were held back since the last one
   * reported.
   */
  synchronized long admit(long nowMs) {
    if (nowMs - windowStartMs >= 1000 || nowMs < windowStartMs) {
      windowStartMs = nowMs;
      reported = 0;
    }
    if (reported >= perSecond) {
      heldBack++;
      return -1;
    }
    reported++;
    long held = heldBack;
    heldBack = 0;
    return held;
  }
}

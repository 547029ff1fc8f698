package io.sessionbroker.cluster;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Session ids unique cluster-wide: the high 32 bits are random per node start, the low 32 bits
 * count up. Two nodes collide only if they draw the same 32-bit prefix, which a cluster of a
 * handful of nodes will not.
 */
public final class SessionIds {

  private final long prefix;
  private final AtomicLong counter = new AtomicLong();

  SessionIds() {
    this.prefix = ((long) new SecureRandom().nextInt()) << 32;
  }

  long next() {
    return prefix | (counter.incrementAndGet() & 0xFFFF_FFFFL);
  }

  public static String format(long id) {
    String hex = Long.toHexString(id);
    return "0".repeat(16 - hex.length()) + hex;
  }

  /** The inverse of {@link #format}; -1 for text that is not a session id. */
  public static long parse(String text) {
    if (text == null || text.length() != 16) {
      return -1;
    }
    try {
      return Long.parseUnsignedLong(text, 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}

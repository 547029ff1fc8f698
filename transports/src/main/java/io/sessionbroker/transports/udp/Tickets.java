package io.sessionbroker.transports.udp;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Session tickets: 128 bits from a {@link java.security.SecureRandom}, drawn per session and shown
 * to the device once, in its {@code welcome}, as 22 characters of unpadded base64url. Whoever
 * presents the ticket speaks for the session, so it must be unguessable (2^128 values) and it is
 * compared in constant time.
 *
 * <p>The ticket is kept as two {@code long}s (16 bytes, no object of its own) in {@link UdpPeer}.
 */
final class Tickets {

  /** Length of a ticket as text. */
  static final int TEXT_LENGTH = 22;

  /**
   * The base64url characters whose low 4 bits are 0: the only ones that can end a 16-byte value.
   */
  private static final String CANONICAL_LAST = "AQgw";

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private Tickets() {}

  static String encode(long high, long low) {
    return ENCODER.encodeToString(ByteBuffer.allocate(16).putLong(high).putLong(low).array());
  }

  /**
   * Whether {@code text} is the ticket {@code high}/{@code low}; false for anything that is not a
   * ticket. Only the canonical text matches: 22 characters carry 132 bits, and the decoder would
   * ignore the last 4, so {@code …A} and {@code …B} would otherwise both pass for a ticket ending
   * in {@code A}.
   */
  static boolean matches(String text, long high, long low) {
    if (text.length() != TEXT_LENGTH || CANONICAL_LAST.indexOf(text.charAt(TEXT_LENGTH - 1)) < 0) {
      return false;
    }
    byte[] bytes;
    try {
      bytes = DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    // No early exit: the time taken does not tell how many bits were right.
    return ((buffer.getLong() ^ high) | (buffer.getLong() ^ low)) == 0;
  }
}

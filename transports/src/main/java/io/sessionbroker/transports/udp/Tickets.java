package io.sessionbroker.transports.udp;

import java.nio.ByteBuffer;
import java.util.Arrays;
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

  /** base64url character → its 6 bits, -1 for any other ASCII character. */
  private static final byte[] SEXTETS = sextets();

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private Tickets() {}

  static String encode(long high, long low) {
    return ENCODER.encodeToString(ByteBuffer.allocate(16).putLong(high).putLong(low).array());
  }

  /**
   * Whether {@code text} is the ticket {@code high}/{@code low}; false for anything that is not a
   * ticket. Only the canonical text matches: 22 characters carry 132 bits, and a decoder would
   * ignore the last 4, so {@code …A} and {@code …B} would otherwise both pass for a ticket ending
   * in {@code A}.
   */
  static boolean matches(String text, long high, long low) {
    if (text.length() != TEXT_LENGTH || CANONICAL_LAST.indexOf(text.charAt(TEXT_LENGTH - 1)) < 0) {
      return false;
    }
    // Decoded here rather than with Base64.Decoder, which allocates an array for every datagram:
    // 21 characters of 6 bits, then the 2 high bits of the last one (its low 4 are 0, see above).
    long decodedHigh = 0;
    long decodedLow = 0;
    int invalid = 0;
    for (int i = 0; i < TEXT_LENGTH; i++) {
      int bits = sextet(text.charAt(i));
      invalid |= bits;
      int width = i < TEXT_LENGTH - 1 ? 6 : 2;
      bits = width == 6 ? bits : bits >> 4;
      decodedHigh = decodedHigh << width | decodedLow >>> (64 - width);
      decodedLow = decodedLow << width | (bits & 0x3F);
    }
    // No early exit: the time taken does not tell how many bits were right.
    return invalid >= 0 && ((decodedHigh ^ high) | (decodedLow ^ low)) == 0;
  }

  /** The 6 bits of a base64url character, or -1 for any other character. */
  private static int sextet(char c) {
    return c < SEXTETS.length ? SEXTETS[c] : -1;
  }

  private static byte[] sextets() {
    byte[] table = new byte[128];
    Arrays.fill(table, (byte) -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < alphabet.length(); i++) {
      table[alphabet.charAt(i)] = (byte) i;
    }
    return table;
  }
}

package io.sessionbroker.transports.udp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads the datagram a UDP device sends most, its heartbeat {@code
 * {"type":"ping","device":"…","ticket":"…"}}, straight from the received bytes: no UTF-8 decoding
 * of the whole datagram, no JSON tree. At a million devices that is 33,000 datagrams a second, and
 * building a {@code JsonObject} for each was the largest share of the broker's own code on that
 * path (issue 17).
 *
 * <p>It only says yes to what it reads completely: a JSON object whose members are exactly {@code
 * type} (= {@code "ping"}), {@code device} and {@code ticket}, in any order, each once, each a
 * string of printable ASCII without escapes, with JSON whitespace anywhere the grammar (RFC 8259
 * §2) allows it. For anything else — another type, a {@code status}, an escape, a number, a
 * non-ASCII byte, a repeated member, or bytes that are not JSON at all — it returns null and the
 * caller decodes the datagram the general way ({@code Frames.parse}), which decides what it is. So
 * for every datagram this reads, the general way would have read the same ping; {@code
 * HeartbeatsTest} holds the two to that.
 */
final class Heartbeats {

  /** A plain heartbeat: the device it names and the ticket it shows. */
  record Ping(String device, String ticket) {}

  private static final byte[] TYPE = "type".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DEVICE = "device".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TICKET = "ticket".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

  private Heartbeats() {}

  /**
   * The heartbeat in the readable bytes of {@code datagram} (left unread), or null when they are
   * anything else.
   */
  static Ping read(ByteBuf datagram) {
    return new Scan(datagram).ping();
  }

  /** One pass over the bytes; {@code at} is the next byte to look at. */
  private static final class Scan {

    private final ByteBuf bytes;
    private final int end;
    private int at;

    /** The length of the string {@link #string} read last. */
    private int length;

    Scan(ByteBuf bytes) {
      this.bytes = bytes;
      this.at = bytes.readerIndex();
      this.end = bytes.writerIndex();
    }

    Ping ping() {
      boolean typed = false;
      String device = null;
      String ticket = null;
      if (!skip('{')) {
        return null;
      }
      do {
        int key = string();
        int keyLength = length;
        if (key < 0 || !skip(':')) {
          return null;
        }
        int value = string();
        if (value < 0) {
          return null;
        }
        if (is(key, keyLength, TYPE) && !typed) {
          typed = is(value, length, PING);
          if (!typed) {
            return null; // another type: the general way handles it
          }
        } else if (is(key, keyLength, DEVICE) && device == null) {
          device = bytes.toString(value, length, StandardCharsets.US_ASCII);
        } else if (is(key, keyLength, TICKET) && ticket == null) {
          ticket = bytes.toString(value, length, StandardCharsets.US_ASCII);
        } else {
          return null; // another member, or one of these twice
        }
      } while (skip(','));
      if (!skip('}')) {
        return null;
      }
      whitespace();
      return at == end && typed && device != null && ticket != null
          ? new Ping(device, ticket)
          : null;
    }

    /**
     * Reads a string of printable ASCII without escapes; returns the index of its first character
     * (its length in {@link #length}), or -1 when there is none of that kind here.
     */
    private int string() {
      if (!skip('"')) {
        return -1;
      }
      int start = at;
      while (at < end) {
        byte b = bytes.getByte(at++);
        if (b == '"') {
          length = at - 1 - start;
          return start;
        }
        if (b < 0x20 || b > 0x7E || b == '\\') {
          return -1; // a control character, non-ASCII, an escape: not ours to judge
        }
      }
      return -1;
    }

    /** Skips whitespace, then {@code c}; false if the next byte is another one. */
    private boolean skip(char c) {
      whitespace();
      if (at < end && bytes.getByte(at) == c) {
        at++;
        return true;
      }
      return false;
    }

    private void whitespace() {
      while (at < end) {
        byte b = bytes.getByte(at);
        if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
          return;
        }
        at++;
      }
    }

    /** Whether the {@code length} bytes from {@code start} are {@code expected}. */
    private boolean is(int start, int length, byte[] expected) {
      if (length != expected.length) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (bytes.getByte(start + i) != expected[i]) {
          return false;
        }
      }
      return true;
    }
  }
}

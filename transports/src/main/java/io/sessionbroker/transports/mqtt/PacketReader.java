package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the fields of one MQTT packet body without ever going past its end: a field that would is a
 * {@link WireViolation} (Malformed Packet) at once. Reads by index and never moves the buffer. Used
 * by {@link FrameRules}; one reader per packet, on the event loop.
 */
final class PacketReader {

  static final int USER_PROPERTY = 0x26;

  /** MQTT 5 §2.2.2.2: how each property's value is encoded, by identifier (0: no such property). */
  private static final char[] VALUE_KINDS = new char[64];

  static {
    for (int id : new int[] {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A}) {
      VALUE_KINDS[id] = 'b'; // byte
    }
    for (int id : new int[] {0x13, 0x21, 0x22, 0x23}) {
      VALUE_KINDS[id] = 's'; // two-byte integer
    }
    for (int id : new int[] {0x02, 0x11, 0x18, 0x27}) {
      VALUE_KINDS[id] = 'i'; // four-byte integer
    }
    VALUE_KINDS[0x0B] = 'v'; // variable byte integer: Subscription Identifier
    for (int id : new int[] {0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F, 0x09, 0x16}) {
      VALUE_KINDS[id] = 'u'; // UTF-8 string or binary data: both a two-byte length, then bytes
    }
    VALUE_KINDS[USER_PROPERTY] = 'p'; // string pair
  }

  private final ByteBuf body;
  private int position;
  private int limit;

  /**
   * @param body exactly the packet's Remaining Length bytes
   */
  PacketReader(ByteBuf body) {
    this.body = body;
    this.position = body.readerIndex();
    this.limit = body.writerIndex();
  }

  /** A set of property identifiers (all below 64), as a bit mask. */
  static long bits(int... ids) {
    long mask = 0;
    for (int id : ids) {
      mask |= bit(id);
    }
    return mask;
  }

  static long bit(int id) {
    return 1L << id;
  }

  boolean hasMore() {
    return position < limit;
  }

  /** The index of the next byte, for {@link #byteAt}. */
  int position() {
    return position;
  }

  byte byteAt(int index) {
    return body.getByte(index);
  }

  int u8(String field) {
    skip(1, field);
    return body.getUnsignedByte(position - 1);
  }

  int u16(String field) {
    skip(2, field);
    return body.getUnsignedShort(position - 2);
  }

  /** A two-byte length and that many bytes (UTF-8 string or binary data, §1.5.4, §1.5.6). */
  int bytes(String field) {
    int length = u16(field + " length");
    skip(length, field);
    return length;
  }

  String string(String field) {
    int start = position + 2;
    int length = bytes(field);
    return body.toString(start, length, StandardCharsets.UTF_8);
  }

  /** §1.5.5: at most four bytes. */
  int variableByteInteger(String field) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int digit = u8(field);
      value |= (digit & 0x7F) << (7 * i);
      if ((digit & 0x80) == 0) {
        return value;
      }
    }
    throw WireViolation.malformed(field + ": variable byte integer over four bytes (§1.5.5)");
  }

  /**
   * An MQTT 5 property section (§2.2.2): its length, then properties that must all lie inside it,
   * each allowed in {@code packet} (else Malformed Packet, §2.2.2.2) and, but for User Property,
   * there once (else Protocol Error: each property's section says so). A section that Netty's
   * decoder would misread ({@link PropertyOrder}) has its start added to {@code misread}.
   *
   * @param allowed the identifiers allowed, as {@link #bits}
   * @return the identifiers seen, as {@link #bits}
   */
  long properties(long allowed, String packet, List<Integer> misread) {
    int sectionStart = position;
    int length = variableByteInteger("property length");
    int lengthBytes = position - sectionStart;
    if (length > limit - position) {
      throw WireViolation.malformed(packet + " properties run past the packet");
    }
    int outer = limit;
    int first = position;
    limit = position + length;
    long seen = 0;
    boolean misreadByNetty = false;
    while (position < limit) {
      misreadByNetty |= PropertyOrder.nettySkips(position - first, length, lengthBytes);
      int id = property();
      String name = "property 0x" + Integer.toHexString(id);
      if ((allowed & bit(id)) == 0) {
        throw WireViolation.malformed(name + " not allowed in " + packet + " (§2.2.2.2)");
      }
      if (id != USER_PROPERTY && (seen & bit(id)) != 0) {
        throw WireViolation.protocolError(name + " twice in " + packet);
      }
      seen |= bit(id);
    }
    limit = outer;
    if (misreadByNetty) {
      misread.add(sectionStart);
    }
    return seen;
  }

  /** Reads one property, identifier and value; returns the identifier. */
  int property() {
    int id = variableByteInteger("property identifier");
    if (id >= VALUE_KINDS.length || VALUE_KINDS[id] == 0) {
      throw WireViolation.malformed(
          "unknown property 0x" + Integer.toHexString(id) + " (§2.2.2.2)");
    }
    value(VALUE_KINDS[id]);
    return id;
  }

  private void value(char kind) {
    switch (kind) {
      case 'b' -> u8("property value");
      case 's' -> u16("property value");
      case 'i' -> skip(4, "property value");
      case 'v' -> variableByteInteger("property value");
      case 'u' -> bytes("property value");
      default -> {
        bytes("user property name");
        bytes("user property value");
      }
    }
  }

  /** Fails unless every byte of the packet was read. */
  void end(String packet) {
    if (position != limit) {
      throw WireViolation.malformed((limit - position) + " bytes left over in " + packet);
    }
  }

  private void skip(int bytes, String field) {
    if (bytes > limit - position) {
      throw WireViolation.malformed(field + " runs past the end of its packet or section");
    }
    position += bytes;
  }
}

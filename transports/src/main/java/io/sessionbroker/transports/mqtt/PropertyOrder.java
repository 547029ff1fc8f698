package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Works around a bug of Netty's {@code MqttDecoder} (4.2.17) that loses valid MQTT 5 properties: it
 * counts the bytes of a property section's Property Length as if they were inside the section, so
 * with a Property Length of 128 or more (two or more bytes) it stops before a property that starts
 * in the last {@code lengthBytes} bytes of the section. That property is dropped, and its bytes are
 * read as the next field: a 2-byte Payload Format Indicator after 131 bytes of User Property ends
 * up as the first two bytes of the PUBLISH payload.
 *
 * <p>Example: Property Length 133 (two bytes), a User Property of 131 bytes, then Payload Format
 * Indicator {@code 01 01}. Netty reads while {@code 2 + read < 133}: after the User Property {@code
 * 2 + 131 = 133}, so it stops, and the payload "hello" arrives as {@code 01 01 68 65 6c 6c 6f}.
 *
 * <p>The fix here: in such a section, move the properties that are that short (at most {@code
 * lengthBytes} bytes: one- and two-byte integers, small Subscription Identifiers; never a User
 * Property, which is at least five bytes) to the front. Then the section ends with a longer
 * property, which Netty reads. Only the order of User Properties has a meaning ([MQTT-3.3.2-18]),
 * and it is kept. Remove this class when Netty counts the section right.
 */
final class PropertyOrder {

  private PropertyOrder() {}

  /**
   * Whether Netty skips a property that starts {@code offset} bytes into a section of {@code
   * length} bytes whose Property Length took {@code lengthBytes} bytes.
   */
  static boolean nettySkips(int offset, int length, int lengthBytes) {
    return lengthBytes + offset >= length;
  }

  /**
   * A copy of {@code packet} with the properties of each listed section reordered; releases {@code
   * packet}.
   *
   * @param bodyOffset where the body (after the fixed header) starts in {@code packet}
   * @param sections where each section to reorder starts, relative to the body, in order
   */
  static ByteBuf reorder(
      ByteBufAllocator allocator, ByteBuf packet, int bodyOffset, List<Integer> sections) {
    ByteBuf out = allocator.buffer(packet.readableBytes());
    int copied = packet.readerIndex();
    for (int section : sections) {
      int start = packet.readerIndex() + bodyOffset + section;
      PacketReader length = new PacketReader(packet.slice(start, packet.writerIndex() - start));
      int propertyLength = length.variableByteInteger("property length");
      int lengthBytes = length.position();
      int first = start + lengthBytes;
      out.writeBytes(packet, copied, first - copied);
      writeShortFirst(packet.slice(first, propertyLength), lengthBytes, out);
      copied = first + propertyLength;
    }
    out.writeBytes(packet, copied, packet.writerIndex() - copied);
    packet.release();
    return out;
  }

  private static void writeShortFirst(ByteBuf properties, int lengthBytes, ByteBuf out) {
    PacketReader reader = new PacketReader(properties);
    List<int[]> longer = new ArrayList<>();
    while (reader.hasMore()) {
      int start = reader.position();
      reader.property();
      int size = reader.position() - start;
      if (size <= lengthBytes) {
        out.writeBytes(properties, start, size);
      } else {
        longer.add(new int[] {start, size});
      }
    }
    for (int[] property : longer) {
      out.writeBytes(properties, property[0], property[1]);
    }
  }
}

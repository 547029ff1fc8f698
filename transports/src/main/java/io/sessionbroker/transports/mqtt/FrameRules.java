package io.sessionbroker.transports.mqtt;

import static io.sessionbroker.transports.mqtt.PacketReader.bit;
import static io.sessionbroker.transports.mqtt.PacketReader.bits;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.List;

/**
 * Walks the body of one complete client packet (everything after the fixed header, exactly its
 * Remaining Length) and refuses what the MQTT specs call malformed or a protocol error but Netty's
 * {@code MqttDecoder} lets through or answers with the wrong reason code. Pure: reads the buffer by
 * index through a {@link PacketReader}, never moves it. {@link MqttFraming} runs it on every packet
 * before Netty decodes it.
 *
 * <p>Every read is bounded by the packet, so a field that runs past the Remaining Length is
 * malformed at once (Netty's replaying decoder would wait for bytes of the next packet). Checked:
 * the shape of every client packet (no field past the end, nothing left over), property sections
 * (MQTT 5 §2.2.2.2: identifiers allowed for the packet, values inside the section, no duplicates),
 * packet identifiers, and the few flag and topic rules listed in docs/protocol.md ("What bad input
 * gets"). What Netty already refuses with the right code (fixed-header flags, invalid UTF-8,
 * U+0000, unknown protocol levels) is left to it.
 */
final class FrameRules {

  private static final int TOPIC_ALIAS = 0x23;
  private static final int SUBSCRIPTION_IDENTIFIER = 0x0B;

  /** MQTT 5 §2.2.2.2, table 2-4: the properties a client may put in each packet. */
  private static final long CONNECT = bits(0x11, 0x21, 0x27, 0x22, 0x19, 0x17, 0x26, 0x15, 0x16);

  private static final long WILL = bits(0x18, 0x01, 0x02, 0x03, 0x08, 0x09, 0x26);
  private static final long PUBLISH = bits(0x01, 0x02, 0x23, 0x08, 0x09, 0x26, 0x0B, 0x03);
  private static final long ACK = bits(0x1F, 0x26);
  private static final long SUBSCRIBE = bits(0x0B, 0x26);
  private static final long UNSUBSCRIBE = bits(0x26);
  private static final long DISCONNECT = bits(0x11, 0x1F, 0x26, 0x1C);
  private static final long AUTH = bits(0x15, 0x16, 0x1F, 0x26);

  private final PacketReader in;
  private final ByteBuf body;
  private final boolean v5;
  private final List<Integer> misread;

  private FrameRules(ByteBuf body, boolean v5, List<Integer> misread) {
    this.in = new PacketReader(body);
    this.body = body;
    this.v5 = v5;
    this.misread = misread;
  }

  /**
   * @param header the fixed header's first byte
   * @param body the packet after its fixed header: exactly Remaining Length bytes
   * @param protocolLevel 5 for MQTT 5, anything else for 3.1 / 3.1.1
   * @param misread receives the start (in {@code body}) of each property section that Netty's
   *     decoder would misread, to be put right by {@link PropertyOrder} before it decodes them
   * @return why the packet is refused, or null to hand it to Netty's decoder
   */
  static WireViolation check(int header, ByteBuf body, int protocolLevel, List<Integer> misread) {
    try {
      new FrameRules(body, protocolLevel == 5, misread).packet(header);
      return null;
    } catch (WireViolation violation) {
      return violation;
    }
  }

  /** The protocol level of a CONNECT body, or 0 if it does not name MQTT 3.1, 3.1.1 or 5. */
  static int protocolLevel(ByteBuf connectBody) {
    PacketReader reader = new PacketReader(connectBody);
    try {
      String name = reader.string("protocol name");
      int level = reader.u8("protocol level");
      boolean known =
          name.equals("MQTT") ? level == 4 || level == 5 : name.equals("MQIsdp") && level == 3;
      return known ? level : 0;
    } catch (WireViolation e) {
      return 0;
    }
  }

  private void packet(int header) {
    switch (header >>> 4) {
      case 1 -> connect();
      case 3 -> publish((header >> 1) & 3);
      case 4, 5, 6, 7 -> acknowledgement(header >>> 4);
      case 8 -> subscribe();
      case 10 -> unsubscribe();
      case 12 -> in.end("PINGREQ"); // §3.12: no variable header, no payload
      case 14 -> reasonAndProperties(14, DISCONNECT, "DISCONNECT");
      case 15 -> {
        if (!v5) {
          throw WireViolation.malformed("packet type 15 is reserved in MQTT 3.1.1 (§2.2.1)");
        }
        auth();
      }
      case 2, 9, 11, 13 ->
          // §2.1.2: CONNACK, SUBACK, UNSUBACK and PINGRESP flow from server to client only.
          throw WireViolation.protocolError("packet type " + (header >>> 4) + " is server-only");
      default -> throw WireViolation.malformed("packet type 0 is reserved (§2.1.2)");
    }
  }

  private void connect() {
    if (protocolLevel(body) == 0) {
      return; // Netty refuses it, and vertx-mqtt answers CONNACK 0x01 (§3.1.2.2)
    }
    in.string("protocol name");
    int level = in.u8("protocol level");
    int flags = in.u8("connect flags");
    if (level >= 4 && (flags & 0x01) != 0) {
      throw WireViolation.malformed("CONNECT reserved flag set [MQTT-3.1.2-3]");
    }
    if ((flags & 0x04) != 0 && (flags & 0x18) == 0x18) {
      throw WireViolation.malformed("Will QoS 3 (§3.1.2.6)");
    }
    in.u16("keep alive");
    properties(CONNECT, "CONNECT");
    in.bytes("client identifier");
    if ((flags & 0x04) != 0) {
      properties(WILL, "will");
      in.bytes("will topic");
      in.bytes("will payload");
    }
    if ((flags & 0x80) != 0) {
      in.bytes("user name");
    }
    if ((flags & 0x40) != 0) {
      in.bytes("password");
    }
    in.end("CONNECT");
  }

  private void publish(int qos) {
    if (qos == 3) {
      throw WireViolation.malformed("PUBLISH with QoS 3 [MQTT-3.3.1-4]");
    }
    int topicStart = in.position() + 2;
    int topicLength = in.bytes("topic name");
    if (qos > 0) {
      packetIdentifier();
    }
    long seen = properties(PUBLISH, "PUBLISH");
    if ((seen & bit(SUBSCRIPTION_IDENTIFIER)) != 0) {
      throw WireViolation.protocolError("Subscription Identifier from a client [MQTT-3.3.4-6]");
    }
    if ((seen & bit(TOPIC_ALIAS)) != 0) {
      // §3.3.2.3.4: the CONNACK grants no Topic Alias Maximum, so any alias is above it.
      throw new WireViolation(
          MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID,
          "Topic Alias above the Topic Alias Maximum 0 (§3.3.2.3.4)");
    }
    if (topicLength == 0) {
      String message = "empty topic name without Topic Alias";
      throw v5
          ? WireViolation.protocolError(message + " (§3.3.2.3.4)")
          : WireViolation.malformed(message + " [MQTT-4.7.3-1]");
    }
    // '+' and '#' are single bytes that never occur inside a multi-byte UTF-8 sequence.
    for (int i = topicStart; i < topicStart + topicLength; i++) {
      byte b = in.byteAt(i);
      if (b == '+' || b == '#') {
        throw new WireViolation(
            MqttDisconnectReasonCode.TOPIC_NAME_INVALID, "wildcard in a topic name [MQTT-3.3.2-2]");
      }
    }
    // the rest is the application message, of any length (§3.3.3)
  }

  private void acknowledgement(int type) {
    packetIdentifier();
    reasonAndProperties(type, ACK, "acknowledgement");
  }

  /**
   * The rest of a PUBACK, PUBREC, PUBREL, PUBCOMP or DISCONNECT: MQTT 5 may omit the reason code
   * (when 0x00), and the properties after it (§3.4.2.1, §3.14.2.1); MQTT 3.1.1 has neither.
   */
  private void reasonAndProperties(int type, long allowed, String packet) {
    if (v5 && in.hasMore()) {
      reasonCode(type);
      if (in.hasMore()) {
        properties(allowed, packet);
      }
    }
    in.end(packet);
  }

  /**
   * Reads the reason code of a PUBACK, PUBREC, PUBREL, PUBCOMP or DISCONNECT and refuses one its
   * section (§3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1, §3.14.2.1) does not list: a Malformed Packet
   * (§4.13: DISCONNECT 0x81, then close). vertx-mqtt threw on such a code inside its handler and
   * read nothing more from the connection (found by MqttFuzzIT).
   */
  private void reasonCode(int type) {
    int code = in.u8("reason code");
    if (!definedReasonCode(type, (byte) code)) {
      throw WireViolation.malformed(
          String.format(
              "%s reason code 0x%02X is not one the spec defines (§3.%d.2.1)",
              MqttMessageType.valueOf(type), code, type));
    }
  }

  /**
   * Whether Netty's table of the packet type's reason codes ({@link MqttReasonCodes}) has {@code
   * code}. Its {@code valueOf} gives null for a code inside the table that the spec leaves out, and
   * throws for one past the table's end.
   */
  private static boolean definedReasonCode(int type, byte code) {
    try {
      Object reason =
          switch (type) {
            case 4 -> MqttReasonCodes.PubAck.valueOf(code);
            case 5 -> MqttReasonCodes.PubRec.valueOf(code);
            case 6 -> MqttReasonCodes.PubRel.valueOf(code);
            case 7 -> MqttReasonCodes.PubComp.valueOf(code);
            case 14 -> MqttReasonCodes.Disconnect.valueOf(code);
            default -> throw new IllegalStateException("no reason codes for packet type " + type);
          };
      return reason != null;
    } catch (IllegalArgumentException pastTheTable) {
      return false;
    }
  }

  private void subscribe() {
    packetIdentifier();
    properties(SUBSCRIBE, "SUBSCRIBE");
    int filters = 0;
    while (in.hasMore()) {
      in.bytes("topic filter");
      int options = in.u8("subscription options");
      if (v5 && (options & 0xC0) != 0) {
        throw WireViolation.malformed("reserved subscription option bits set [MQTT-3.8.3-5]");
      }
      if (!v5 && (options & 0xFC) != 0) {
        throw WireViolation.malformed("reserved bits in the requested QoS byte [MQTT-3-8.3-4]");
      }
      if ((options & 0x03) == 3 || (options & 0x30) == 0x30) {
        String message = "QoS 3 or Retain Handling 3 in subscription options";
        throw v5
            ? WireViolation.protocolError(message + " (§3.8.3.1)")
            : WireViolation.malformed(message + " [MQTT-3-8.3-4]");
      }
      filters++;
    }
    if (filters == 0) {
      // MQTT 5 [MQTT-3.8.3-2]: a SUBSCRIBE with no payload is a Protocol Error; 3.1.1
      // [MQTT-3.8.3-3]
      throw WireViolation.protocolError("SUBSCRIBE without topic filters [MQTT-3.8.3-2]");
    }
  }

  private void unsubscribe() {
    packetIdentifier();
    properties(UNSUBSCRIBE, "UNSUBSCRIBE");
    int filters = 0;
    while (in.hasMore()) {
      in.bytes("topic filter");
      filters++;
    }
    if (filters == 0) {
      // [MQTT-3.10.3-2] (3.1.1 and 5): an UNSUBSCRIBE with no payload is a protocol error
      throw WireViolation.protocolError("UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]");
    }
  }

  /**
   * AUTH: MQTT 5 may omit the reason code and the properties (§3.15.2.1). Its reason code is not
   * checked here: every AUTH is refused as a Protocol Error ({@link PacketRules}).
   */
  private void auth() {
    if (in.hasMore()) {
      in.u8("reason code");
      if (in.hasMore()) {
        properties(AUTH, "AUTH");
      }
    }
    in.end("AUTH");
  }

  private void packetIdentifier() {
    if (in.u16("packet identifier") == 0) {
      throw WireViolation.malformed("packet identifier 0 [MQTT-2.2.1-3]");
    }
  }

  /** MQTT 5 §2.2.2: a property section; none in 3.1 / 3.1.1. Returns the properties seen. */
  private long properties(long allowed, String packet) {
    return v5 ? in.properties(allowed, packet, misread) : 0;
  }
}

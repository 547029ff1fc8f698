package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.mqtt.MqttWill;
import java.nio.charset.StandardCharsets;

/**
 * The rules of a CONNECT's will (§3.1.2.5 to §3.1.2.7, §3.1.3.2 and §3.1.3.3) that vertx-mqtt does
 * not apply, or answers with a CONNACK code MQTT 3.1.1 does not have. Pure functions.
 */
final class WillRules {

  /** The {@code sessions.rejected} code of a CONNECT whose will the ACL refuses. */
  static final String NOT_AUTHORIZED = "not_authorized";

  private WillRules() {}

  /**
   * The refusal of a will whose topic the client may not publish to. MQTT 5: CONNACK 0x87 Not
   * authorized (§3.2.2.2); 0x90 Topic Name invalid would fit too ("not malformed, but is not
   * accepted by this Server"), but the topic is fine, the client's rights are not. MQTT 3.1.1: 0x05
   * Connection Refused, not authorized (§3.2.2.3), its only code for it. Mosquitto instead accepts
   * the CONNECT and drops such a will when it is due; refusing tells the device at once.
   */
  static ConnectRules.Refusal notAuthorized(int protocolVersion, MqttWill will) {
    return new ConnectRules.Refusal(
        ConnectRules.isV5(protocolVersion)
            ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
            : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED,
        NOT_AUTHORIZED,
        "the client may not publish to its Will Topic '" + will.getWillTopic() + "'");
  }

  /**
   * Checks a CONNECT before vertx-mqtt sees it. A refusal without a code is for MQTT 3.1.x, which
   * has no reason codes for these: a protocol violation closes the connection ([MQTT-4.8.0-1]).
   *
   * @return null when the will (or its absence) is acceptable
   */
  static ConnectRules.Refusal refuse(MqttConnectMessage connect) {
    MqttConnectVariableHeader header = connect.variableHeader();
    boolean v5 = ConnectRules.isV5(header.version());
    if (!header.isWillFlag()) {
      // [MQTT-3.1.2-13] / [MQTT-3.1.2-15] (3.1.1): no will, so no Will QoS and no Will Retain.
      // vertx-mqtt answers MQTT 5 with CONNACK 0x82 itself; 3.1.1 has no such code.
      return !v5 && (header.willQos() != 0 || header.isWillRetain())
          ? new ConnectRules.Refusal(
              null, Frames.PROTOCOL_ERROR, "Will QoS or Will Retain without a will")
          : null;
    }
    if (header.willQos() == 3) {
      // [MQTT-3.1.2-14] (3.1.1) / [MQTT-3.1.2-12] (5): Will QoS 3 is a Malformed Packet. Netty's
      // decoder lets it through, and the will could never be published.
      return new ConnectRules.Refusal(
          v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET : null,
          "malformed_packet",
          "Will QoS 3");
    }
    String topic = connect.payload().willTopic();
    if (!Topics.validName(topic)) {
      // [MQTT-4.7.3-1] a topic name has at least one character; [MQTT-4.7.1-1] (3.1.1) /
      // [MQTT-4.7.0-1] (5) no wildcards in it. MQTT 5: 0x82 Protocol Error, as vertx-mqtt itself
      // answers an empty one (0x90 is for a valid topic the server will not take, §3.2.2.2).
      return new ConnectRules.Refusal(
          v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR : null,
          Frames.PROTOCOL_ERROR,
          "the Will Topic is not a valid topic name: '" + topic + "'");
    }
    if (!v5) {
      return null;
    }
    if (header.isWillRetain()) {
      // [MQTT-3.2.2-13]: the CONNACK says Retain Available = 0, so a retained will is refused.
      return new ConnectRules.Refusal(
          MqttConnectReturnCode.CONNECTION_REFUSED_RETAIN_NOT_SUPPORTED,
          "retain_not_supported",
          "Will Retain is set, and this broker does not retain messages");
    }
    if (!PublishRules.validResponseTopic(connect.payload().willProperties())) {
      // §3.1.3.2.6 / [MQTT-3.3.2-14]: the will's Response Topic is a topic name, no wildcards.
      return new ConnectRules.Refusal(
          MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR,
          Frames.PROTOCOL_ERROR,
          "the will's Response Topic is not a valid topic name");
    }
    if (MessageProperties.saysUtf8(connect.payload().willProperties())
        && !ByteBufUtil.isText(
            Unpooled.wrappedBuffer(connect.payload().willMessageInBytes()),
            StandardCharsets.UTF_8)) {
      // §3.1.3.2.3: the server MAY check that a will said to be UTF-8 is; 0x99 if not.
      return new ConnectRules.Refusal(
          MqttConnectReturnCode.CONNECTION_REFUSED_PAYLOAD_FORMAT_INVALID,
          "payload_format_invalid",
          "the will payload is not the UTF-8 its Payload Format Indicator announces");
    }
    return null;
  }
}

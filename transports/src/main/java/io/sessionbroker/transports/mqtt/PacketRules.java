package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;

/**
 * Rules on a decoded client packet that vertx-mqtt does not check, applied by {@link MqttLink}
 * before vertx-mqtt acts on the packet. Pure: the packet in, a verdict out. (The rules on a
 * packet's bytes, before Netty decodes it — server-only packet types among them — are {@link
 * FrameRules}'.)
 */
final class PacketRules {

  private PacketRules() {}

  /**
   * The MQTT 5 reason code for a PUBLISH, DISCONNECT or AUTH of an MQTT 5 connection that breaks a
   * rule vertx-mqtt does not check, or null. Checked before vertx-mqtt acts on the packet: it would
   * resolve a topic alias itself, and it closes the connection after any DISCONNECT.
   *
   * @param sessionExpirySeconds the expiry the CONNECT set
   */
  static MqttDisconnectReasonCode refusal(
      MqttMessageType type, MqttMessage packet, int protocolVersion, long sessionExpirySeconds) {
    if (!ConnectRules.isV5(protocolVersion)) {
      return null;
    }
    if (type == MqttMessageType.PUBLISH) {
      return PublishRules.refuse((MqttPublishMessage) packet, protocolVersion);
    }
    if (type == MqttMessageType.AUTH) {
      // §3.15: a Protocol Error unless the CONNECT carried the same Authentication Method, and
      // every CONNECT carrying one is refused (ConnectRules). vertx-mqtt ignored an AUTH, or
      // threw on a reason code §3.15.2.1 does not define (found by MqttFuzzIT).
      return MqttDisconnectReasonCode.PROTOCOL_ERROR;
    }
    if (type == MqttMessageType.DISCONNECT
        && packet.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header
        && ConnectRules.disconnectRaisesZeroExpiry(header.properties(), sessionExpirySeconds)) {
      // §3.14.2.2.2: not a valid DISCONNECT but a Protocol Error, so no normal disconnection: the
      // will stays and is published ([MQTT-3.1.2-8]), the session expiry stays 0.
      return MqttDisconnectReasonCode.PROTOCOL_ERROR;
    }
    return null;
  }
}

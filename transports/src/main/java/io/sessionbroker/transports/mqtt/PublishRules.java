package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.nio.charset.StandardCharsets;

/**
 * What an MQTT 5 client may not put in a PUBLISH to this broker, given what its CONNACK announced
 * ({@link ConnectRules#connackProperties}): checked before vertx-mqtt sees the packet, because
 * vertx-mqtt resolves topic aliases itself and closes the socket without a word on a bad one. MQTT
 * 3.1.1 has none of these features; its PUBLISH is not checked here. Pure functions.
 */
final class PublishRules {

  private PublishRules() {}

  /**
   * @return the DISCONNECT reason code that ends the connection (§4.13), or null to accept
   */
  static MqttDisconnectReasonCode refuse(MqttPublishMessage publish, int protocolVersion) {
    if (!ConnectRules.isV5(protocolVersion)) {
      return null;
    }
    MqttProperties properties = publish.variableHeader().properties();
    if (properties.getProperty(MqttProperties.TOPIC_ALIAS) != null) {
      // The CONNACK has no Topic Alias Maximum, so it is 0: [MQTT-3.2.2-18] no Topic Alias may be
      // sent; one is invalid, 0x94 (§3.3.2.3.4).
      return MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID;
    }
    if (publish.fixedHeader().isRetain()) {
      // [MQTT-3.2.2-14]: Retain Available is 0; a retained PUBLISH is a Protocol Error, 0x9A.
      return MqttDisconnectReasonCode.RETAIN_NOT_SUPPORTED;
    }
    if (properties.getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER) != null) {
      // [MQTT-3.3.4-6]: a client's PUBLISH must not carry a Subscription Identifier.
      return MqttDisconnectReasonCode.PROTOCOL_ERROR;
    }
    if (!validResponseTopic(properties)) {
      // [MQTT-3.3.2-14]: a Response Topic is a topic name, without wildcards.
      return MqttDisconnectReasonCode.PROTOCOL_ERROR;
    }
    if (MessageProperties.saysUtf8(properties)
        && !ByteBufUtil.isText(publish.payload(), StandardCharsets.UTF_8)) {
      // §3.3.2.3.2: the receiver MAY check a payload said to be UTF-8; 0x99 when it is not.
      return MqttDisconnectReasonCode.PAYLOAD_FORMAT_INVALID;
    }
    return null;
  }

  /** Whether the Response Topic, if there is one, is a topic name ([MQTT-3.3.2-14]). */
  static boolean validResponseTopic(MqttProperties properties) {
    MqttProperties.MqttProperty<?> responseTopic =
        properties == null ? null : properties.getProperty(MqttProperties.RESPONSE_TOPIC);
    return responseTopic == null || Topics.validName((String) responseTopic.value());
  }
}

package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.sessionbroker.transports.codec.EndsByCode;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.Map;

/**
 * How an MQTT connection ends on the wire: a refusing CONNACK (§3.2.2.3), a DISCONNECT with a
 * reason code to an MQTT 5 client (§4.13; MQTT 3.1.1 has no such packet: the socket just closes), a
 * plain close, or nothing — when vertx-mqtt answers and closes by itself (a CONNECT it refused or
 * could not decode) or the socket is already gone.
 *
 * @param connack the refusing CONNACK's code, or null
 * @param disconnect the MQTT 5 DISCONNECT's reason code, or null
 * @param closeSocket whether this side closes the socket
 */
record MqttEnd(
    MqttConnectReturnCode connack, MqttDisconnectReasonCode disconnect, boolean closeSocket) {

  /** Close the socket, say nothing. */
  static final MqttEnd CLOSE = new MqttEnd(null, null, true);

  /** Leave the socket to vertx-mqtt, which answers and closes it, or to the peer that closed it. */
  static final MqttEnd NONE = new MqttEnd(null, null, false);

  /** Refuse the CONNECT with {@code code}; vertx-mqtt closes after writing it. */
  static MqttEnd connack(MqttConnectReturnCode code) {
    return new MqttEnd(code, null, false);
  }

  /**
   * Refuse an MQTT 5 CONNECT that could not be decoded (§4.13): CONNACK 0x82 for a protocol error,
   * 0x95 for a packet over the maximum, 0x81 for anything else malformed; then close.
   */
  static MqttEnd undecodedConnect(MqttDisconnectReasonCode code) {
    MqttConnectReturnCode connack =
        switch (code) {
          case PROTOCOL_ERROR -> MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR;
          case PACKET_TOO_LARGE -> MqttConnectReturnCode.CONNECTION_REFUSED_PACKET_TOO_LARGE;
          default -> MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET;
        };
    return new MqttEnd(connack, null, true);
  }

  /**
   * Each DISCONNECT end, built once: a mass close ends every session with the same one (issue 17).
   */
  private static final Map<MqttDisconnectReasonCode, MqttEnd> DISCONNECTS =
      EndsByCode.of(MqttDisconnectReasonCode.class, code -> new MqttEnd(null, code, true));

  /** DISCONNECT with {@code code} (MQTT 5), then close; the same instance for every close. */
  static MqttEnd disconnect(MqttDisconnectReasonCode code) {
    return DISCONNECTS.get(code);
  }
}

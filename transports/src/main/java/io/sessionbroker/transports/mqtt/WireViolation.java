package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;

/**
 * A packet the broker refuses before it is decoded, with the MQTT 5 reason code the spec gives for
 * it (§4.13: 0x81 Malformed Packet, 0x82 Protocol Error, 0x90 Topic Name invalid, 0x94 Topic Alias
 * invalid). It travels like Netty's own decoding failures: as the cause of an invalid {@code
 * MqttMessage}, so {@link MqttLink} handles both in one place.
 */
final class WireViolation extends DecoderException {

  private final transient MqttDisconnectReasonCode code;

  WireViolation(MqttDisconnectReasonCode code, String message) {
    super(message);
    this.code = code;
  }

  static WireViolation malformed(String message) {
    return new WireViolation(MqttDisconnectReasonCode.MALFORMED_PACKET, message);
  }

  static WireViolation protocolError(String message) {
    return new WireViolation(MqttDisconnectReasonCode.PROTOCOL_ERROR, message);
  }

  /**
   * The reason code for a decoding failure: this class's own, 0x95 for Netty's too-long frame, 0x81
   * (Malformed Packet) for everything else Netty's decoder refuses.
   */
  static MqttDisconnectReasonCode codeOf(Throwable cause) {
    if (cause instanceof WireViolation violation) {
      return violation.code;
    }
    return cause instanceof TooLongFrameException
        ? MqttDisconnectReasonCode.PACKET_TOO_LARGE
        : MqttDisconnectReasonCode.MALFORMED_PACKET;
  }

  /** Thrown in bulk by hostile input: the message says what was wrong, a stack trace would not. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.junit.jupiter.api.Test;

/** How an MQTT connection ends on the wire ({@link MqttEnd}). */
class MqttEndTest {

  /**
   * Verifies that a DISCONNECT end is built once per reason code (issue 17): the same instance for
   * every close, saying its code and closing the socket.
   */
  @Test
  void aDisconnectEndIsOneInstancePerCodeThatSaysItsCodeAndCloses() {
    MqttEnd timeout = MqttEnd.disconnect(MqttDisconnectReasonCode.KEEP_ALIVE_TIMEOUT);

    assertThat(MqttEnd.disconnect(MqttDisconnectReasonCode.KEEP_ALIVE_TIMEOUT)).isSameAs(timeout);
    assertThat(timeout.disconnect()).isEqualTo(MqttDisconnectReasonCode.KEEP_ALIVE_TIMEOUT);
    assertThat(timeout.connack()).isNull();
    assertThat(timeout.closeSocket()).isTrue();
    assertThat(MqttEnd.disconnect(MqttDisconnectReasonCode.SESSION_TAKEN_OVER).disconnect())
        .isEqualTo(MqttDisconnectReasonCode.SESSION_TAKEN_OVER);
  }
}

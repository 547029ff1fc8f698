package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.TableOptions;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ConnectRulesTest {

  @Test
  void keepAliveZeroAsksForNoHeartbeatAndTheTableGrantsNoDeadline() {
    assertThat(ConnectRules.requestedHeartbeatMs(0, 300)).isZero();
    assertThat(TableOptions.defaults().negotiate(0).timeoutMs()).isZero();
  }

  @Test
  void keepAliveIsLoweredToTheConfiguredMaximum() {
    assertThat(ConnectRules.requestedHeartbeatMs(30, 300)).isEqualTo(30_000);
    assertThat(ConnectRules.requestedHeartbeatMs(600, 300)).isEqualTo(300_000);
  }

  @Test
  void serverKeepAliveIsSentOnlyWhenTheGrantDiffers() {
    assertThat(ConnectRules.serverKeepAlive(30, 30_000)).isNull();
    assertThat(ConnectRules.serverKeepAlive(600, 300_000)).isEqualTo(300);
    assertThat(ConnectRules.serverKeepAlive(1, 1_500))
        .isEqualTo(2); // a minimum in ms rounds up to seconds
  }

  @Test
  void sessionStateOutlivesTheConnectionPerVersion() {
    assertThat(ConnectRules.sessionExpirySeconds(4, false, MqttProperties.NO_PROPERTIES))
        .isEqualTo(ConnectRules.NEVER_EXPIRES);
    assertThat(ConnectRules.sessionExpirySeconds(4, true, MqttProperties.NO_PROPERTIES)).isZero();
    assertThat(ConnectRules.sessionExpirySeconds(5, false, MqttProperties.NO_PROPERTIES)).isZero();
    MqttProperties expiry = new MqttProperties();
    expiry.add(new MqttProperties.IntegerProperty(MqttProperties.SESSION_EXPIRY_INTERVAL, 120));
    assertThat(ConnectRules.sessionExpirySeconds(5, true, expiry)).isEqualTo(120);
  }

  /**
   * Verifies that the announced Maximum Packet Size counts the whole packet whose Remaining Length
   * is the configured maximum: its first byte and the 1 to 4 bytes of the length (§2.1.4).
   */
  @Test
  void maximumPacketSizeAddsTheFixedHeaderToTheRemainingLength() {
    assertThat(ConnectRules.maxPacketBytes(127)).isEqualTo(129);
    assertThat(ConnectRules.maxPacketBytes(128)).isEqualTo(131);
    assertThat(ConnectRules.maxPacketBytes(16_383)).isEqualTo(16_386);
    assertThat(ConnectRules.maxPacketBytes(16_384)).isEqualTo(16_388);
    assertThat(ConnectRules.maxPacketBytes(262_144)).isEqualTo(262_148);
    assertThat(ConnectRules.maxPacketBytes(2_097_152)).isEqualTo(2_097_157);
  }

  @Test
  void brokerSideEndsMapToMqtt5DisconnectReasonCodes() {
    assertThat(ConnectRules.disconnectCode(CloseReason.TAKEN_OVER))
        .isEqualTo(MqttDisconnectReasonCode.SESSION_TAKEN_OVER);
    assertThat(ConnectRules.disconnectCode(CloseReason.TIMEOUT))
        .isEqualTo(MqttDisconnectReasonCode.KEEP_ALIVE_TIMEOUT);
    assertThat(ConnectRules.disconnectCode(CloseReason.KICKED))
        .isEqualTo(MqttDisconnectReasonCode.ADMINISTRATIVE_ACTION);
    assertThat(ConnectRules.disconnectCode(CloseReason.SHUTDOWN))
        .isEqualTo(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN);
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an MQTT 5 DISCONNECT from the client means for the session and its will, beyond the normal
 * one ({@link MqttLinkIT}): a DISCONNECT that is not valid, and one that reports an error.
 */
@Timeout(60)
class MqttDisconnectRulesIT {

  /** Connects an MQTT 5 raw device, Session Expiry Interval absent (0), with a will. */
  private static RawMqtt connectWithWill(MqttHarness mqtt, String clientId) throws Exception {
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = 5;
    connect.clientId = clientId;
    connect.willTopic = "wills/" + clientId;
    connect.willPayload = "gone";
    assertThat(device.connect(connect).body()[1]).isZero();
    mqtt.fixture.await(Addresses.OPENED, clientId);
    return device;
  }

  /**
   * Verifies that a DISCONNECT setting a non-zero Session Expiry Interval after a CONNECT whose
   * interval was 0 is answered with DISCONNECT 0x82 (Protocol Error) and is not a normal
   * disconnection (§3.14.2.2.2): the session ends with PROTOCOL_ERROR and the will, not discarded,
   * is published ([MQTT-3.1.2-8]).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aDisconnectRaisingAZeroSessionExpiryIsAProtocolErrorThatPublishesTheWill() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      // given a subscriber to the will, and a device with Session Expiry Interval 0 and a will
      BlockingQueue<String> received = mqtt.subscriber("expiry-raise-watcher", "wills/#");
      RawMqtt device = connectWithWill(mqtt, "expiry-raise");

      // when the device sends DISCONNECT 0x00 with Session Expiry Interval 60
      device.send(RawMqtt.packet(0xE0, new byte[] {0x00, 5, 0x11, 0, 0, 0, 60}));

      // then DISCONNECT 0x82 and the close, a PROTOCOL_ERROR end, and the will goes out
      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x82);
      assertThat(device.bytesUntilClosed()).isEmpty();
      JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "expiry-raise");
      assertThat(closed.getString("reason")).isEqualTo("PROTOCOL_ERROR");
      assertThat(closed.getJsonObject("will").getString("topic")).isEqualTo("wills/expiry-raise");
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("wills/expiry-raise gone");
    }
  }

  /**
   * Verifies that an MQTT 5 DISCONNECT with an error reason code (0x80 Unspecified error) keeps the
   * will: only reason 0x00 discards it ([MQTT-3.14.4-3], [MQTT-3.1.2-8]).
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void anMqtt5DisconnectWithAnErrorReasonPublishesTheWill() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      // given a subscriber to the will, and a device with a will
      BlockingQueue<String> received = mqtt.subscriber("error-bye-watcher", "wills/#");
      RawMqtt device = connectWithWill(mqtt, "error-bye");

      // when the device says goodbye with reason 0x80
      device.send(new byte[] {(byte) 0xE0, 1, (byte) 0x80});

      // then the session ends as the client's, with its will, which is published
      JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "error-bye");
      assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
      assertThat(closed.getJsonObject("will").getString("topic")).isEqualTo("wills/error-bye");
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("wills/error-bye gone");
    }
  }
}

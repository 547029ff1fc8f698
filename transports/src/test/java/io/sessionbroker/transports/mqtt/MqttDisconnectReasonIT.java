package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An MQTT 5 DISCONNECT whose reason code MQTT 5 does not define (found by {@code MqttFuzzIT}). */
@Timeout(30)
class MqttDisconnectReasonIT {

  /**
   * Verifies that a DISCONNECT with a reason code that MQTT 5 §3.14.2.1 does not list (0x0D) is a
   * Malformed Packet (§4.13: DISCONNECT 0x81, then close; the session ends with {@code
   * PROTOCOL_ERROR}), and that no handler throws on it (vertx-mqtt's reason-code lookup did).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void anUndefinedReasonCodeIsAMalformedPacket() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a connected MQTT 5 client and a broker whose handler exceptions are counted
      List<Throwable> thrown = new CopyOnWriteArrayList<>();
      mqtt.fixture.vertx.exceptionHandler(thrown::add);
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 5;
      connect.clientId = "disconnect-reason-1";
      RawMqtt client = mqtt.raw();
      assertThat(client.connect(connect).body()[1]).isZero();

      // when it disconnects with reason code 0x0D
      client.send(new byte[] {(byte) 0xE0, 1, 0x0D});

      // then the broker answers DISCONNECT 0x81 and closes; the session ends as a protocol error
      RawMqtt.Packet disconnect = client.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x81);
      assertThat(client.bytesUntilClosed()).isEmpty();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "disconnect-reason-1").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
      assertThat(thrown).isEmpty();
    }
  }
}

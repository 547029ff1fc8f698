package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Packets only a server sends, sent by a client (found by {@code MqttFuzzIT}). */
@Timeout(30)
class MqttServerOnlyPacketsIT {

  /**
   * Verifies that a CONNACK, SUBACK, UNSUBACK or PINGRESP from a connected MQTT 5 client — types
   * that go from server to client only (MQTT 5 §2.1.2) — is a protocol error (§4.13: DISCONNECT
   * 0x82, then close; the session ends with {@code PROTOCOL_ERROR}), and that nothing throws
   * (vertx-mqtt passed the packet down the pipeline as an exception, which Netty logged).
   */
  @ParameterizedTest
  @CsvSource({
    "connack,20 03 00 00 00",
    "suback,90 04 00 01 00 00",
    "unsuback,b0 04 00 01 00 00",
    "pingresp,d0 00"
  })
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aServerOnlyPacketFromAClientIsAProtocolError(String name, String hex) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a connected MQTT 5 client and a broker whose handler exceptions are counted
      List<Throwable> thrown = new CopyOnWriteArrayList<>();
      mqtt.fixture.vertx.exceptionHandler(thrown::add);
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 5;
      connect.clientId = "server-only-" + name;
      RawMqtt client = mqtt.raw();
      assertThat(client.connect(connect).body()[1]).isZero();

      // when it sends the packet
      String[] bytes = hex.split(" ");
      byte[] packet = new byte[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        packet[i] = (byte) Integer.parseInt(bytes[i], 16);
      }
      client.send(packet);

      // then DISCONNECT 0x82, the close, a PROTOCOL_ERROR close event, and no exception
      RawMqtt.Packet disconnect = client.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x82);
      assertThat(client.bytesUntilClosed()).isEmpty();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "server-only-" + name).getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
      assertThat(thrown).isEmpty();
    }
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Input that arrives after a connection has ended — packets behind a refused CONNECT in the same
 * read — is not read: the connection is over, and vertx-mqtt would throw on a packet from a client
 * it never connected (found by {@code MqttFuzzIT}: an exception per late packet, which the broker
 * logs at ERROR).
 */
@Timeout(30)
class MqttLateInputIT {

  /**
   * Verifies that packets sent right behind a CONNECT the broker refuses (an unsupported protocol
   * level, 3.1.1 [MQTT-3.1.2-2]: CONNACK 0x01; a client id it does not take, [MQTT-3.1.3-9]:
   * CONNACK 0x02; then the close either way) are dropped unread, so no handler throws.
   */
  @ParameterizedTest
  @ValueSource(strings = {"level", "empty-id", "long-id"})
  void packetsBehindARefusedConnectAreNotRead(String refusal) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a broker whose handler exceptions are counted
      List<Throwable> thrown = new CopyOnWriteArrayList<>();
      mqtt.fixture.vertx.exceptionHandler(thrown::add);
      RawMqtt.Connect connect = new RawMqtt.Connect();
      switch (refusal) {
        case "level" -> connect.level = 6;
        case "empty-id" -> connect.clean = false;
        default -> connect.clientId = "late-input-" + "x".repeat(200);
      }
      ByteArrayOutputStream input = new ByteArrayOutputStream();
      input.writeBytes(connect.encode());
      input.writeBytes(RawMqtt.PINGREQ);
      input.writeBytes(RawMqtt.PINGREQ);

      // when a client sends the refused CONNECT and two PINGREQs in one write
      RawMqtt client = mqtt.raw();
      client.send(input.toByteArray());

      // then it gets a refusing CONNACK and the close, and nothing threw
      RawMqtt.Packet connack = client.read();
      assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
      assertThat(connack.body()[1]).isNotZero();
      assertThat(client.bytesUntilClosed()).isEmpty();
      mqtt.fixture.settle();
      assertThat(thrown).isEmpty();
    }
  }
}

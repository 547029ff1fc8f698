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

/**
 * Packets a client may not send to this broker: those only a server sends, and AUTH (found by
 * {@code MqttFuzzIT}).
 */
@Timeout(30)
class MqttServerOnlyPacketsIT {

  /**
   * Verifies that a packet this broker never takes from a connected MQTT 5 client is a protocol
   * error (§4.13: DISCONNECT 0x82, then close; the session ends with {@code PROTOCOL_ERROR}), and
   * that nothing throws:
   *
   * <ul>
   *   <li>CONNACK, SUBACK, UNSUBACK, PINGRESP go from server to client only (MQTT 5 §2.1.2);
   *       vertx-mqtt passed them down the pipeline as an exception, which Netty logged;
   *   <li>AUTH, whatever its reason code: §3.15 makes it a Protocol Error unless the CONNECT
   *       carried the same Authentication Method, and this broker refuses every CONNECT that
   *       carries one (CONNACK 0x8C). vertx-mqtt threw on a reason code §3.15.2.1 does not define
   *       ("unknown AUTHENTICATE reason code") and ignored a defined one, the connection going on.
   * </ul>
   */
  @ParameterizedTest
  @CsvSource({
    "connack,20 03 00 00 00",
    "suback,90 04 00 01 00 00",
    "unsuback,b0 04 00 01 00 00",
    "pingresp,d0 00",
    "auth-empty,f0 00",
    "auth-success,f0 02 00 00",
    "auth-continue,f0 02 18 00",
    "auth-undefined,f0 02 08 00"
  })
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aPacketNoClientMaySendHereIsAProtocolError(String name, String hex) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a connected MQTT 5 client and a broker whose handler exceptions are counted
      List<Throwable> thrown = new CopyOnWriteArrayList<>();
      mqtt.fixture.vertx.exceptionHandler(thrown::add);
      RawMqtt client = connected(mqtt, 5, "server-only-" + name);

      // when it sends the packet
      client.send(bytes(hex));

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

  /**
   * Verifies that packet type 15 from an MQTT 3.1.1 client (reserved, forbidden: 3.1.1 §2.2.1) ends
   * its session with a plain close, 3.1.1 having no DISCONNECT from the server.
   */
  @ParameterizedTest
  @CsvSource({"type15-empty,f0 00", "type15-body,f0 02 08 00"})
  @ExpectCloses({CloseReason.PROTOCOL_ERROR})
  void packetType15FromAn311ClientEndsItsSession(String name, String hex) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given
      List<Throwable> thrown = new CopyOnWriteArrayList<>();
      mqtt.fixture.vertx.exceptionHandler(thrown::add);
      RawMqtt client = connected(mqtt, 4, name);

      // when
      client.send(bytes(hex));

      // then
      assertThat(client.bytesUntilClosed()).isEmpty();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, name).getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
      assertThat(thrown).isEmpty();
    }
  }

  private static RawMqtt connected(MqttHarness mqtt, int level, String clientId) throws Exception {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = level;
    connect.clientId = clientId;
    RawMqtt client = mqtt.raw();
    assertThat(client.connect(connect).body()[1]).isZero();
    return client;
  }

  private static byte[] bytes(String hex) {
    String[] bytes = hex.split(" ");
    byte[] packet = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      packet[i] = (byte) Integer.parseInt(bytes[i], 16);
    }
    return packet;
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CONNECT rules the broker applies beyond vertx-mqtt's: the will's topic, retain flag and
 * payload format, enhanced authentication, MQTT 3.1 client ids, and the Maximum Packet Size the
 * CONNACK announces. Raw packets on a plain socket, so each byte of the answer is checked.
 */
@Timeout(60)
class MqttConnectRulesIT {

  private static RawMqtt.Connect withWill(int level, String clientId, String willTopic) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = level;
    connect.clientId = clientId;
    connect.willTopic = willTopic;
    connect.willPayload = "gone";
    return connect;
  }

  /** A device id per will topic, so that each parameterized test has its own. */
  private static String deviceFor(String prefix, String topic) {
    return prefix + (topic.isEmpty() ? "-empty" : topic.endsWith("+") ? "-plus" : "-hash");
  }

  /** The CONNACK's reason code (MQTT 5) or return code (3.1.x): its second byte. */
  private static int code(RawMqtt.Packet connack) {
    assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
    return connack.body()[1] & 0xFF;
  }

  /** The broker refused the connection: the sessions.rejected code, and no session opened. */
  private static String rejection(MqttHarness mqtt) throws Exception {
    JsonObject rejected =
        mqtt.fixture.await(Addresses.REJECTED, e -> "mqtt".equals(e.getString("transport")));
    mqtt.fixture.settle();
    assertThat(mqtt.fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
    return rejected.getString("code");
  }

  /**
   * Verifies that an MQTT 3.1.1 will whose topic is empty or has a wildcard closes the connection
   * without a CONNACK: topic names have at least one character ([MQTT-4.7.3-1]) and no wildcards
   * ([MQTT-4.7.1-1]); 3.1.1 has no return code for it, and a violation closes ([MQTT-4.8.0-1]).
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "wills/+", "wills/#"})
  void anMqtt311WillTopicThatIsNoTopicNameClosesWithoutConnack(String topic) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a device
      RawMqtt device = mqtt.raw();

      // when its CONNECT has a will on that topic
      device.send(withWill(4, deviceFor("will-topic-311", topic), topic).encode());

      // then the broker closes without a packet (vertx-mqtt would send CONNACK 0x82, not a 3.1.1
      // code)
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("protocol_error");
    }
  }

  /**
   * Verifies that an MQTT 5 will whose topic is empty or has a wildcard is refused with CONNACK
   * 0x82 (Protocol Error) and reported as {@code protocol_error}: topic names have at least one
   * character ([MQTT-4.7.3-1]) and no wildcards ([MQTT-4.7.0-1]).
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "wills/+", "wills/#"})
  void anMqtt5WillTopicThatIsNoTopicNameIsRefusedWithConnack0x82(String topic) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();

      RawMqtt.Packet connack =
          device.connect(withWill(5, deviceFor("will-wildcard-5", topic), topic));

      assertThat(code(connack)).isEqualTo(0x82);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("protocol_error");
    }
  }

  /**
   * Verifies that a will with Will QoS 3 is refused as a Malformed Packet ([MQTT-3.1.2-14] in
   * 3.1.1, [MQTT-3.1.2-12] in 5): MQTT 5 gets CONNACK 0x81, 3.1.1 the close.
   */
  @ParameterizedTest
  @ValueSource(ints = {4, 5})
  void aWillWithQos3IsRefusedAsMalformed(int level) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = withWill(level, "will-qos3-" + level, "wills/will-qos3");
      connect.willQos = 3;

      device.send(connect.encode());

      byte[] answer = device.bytesUntilClosed();
      if (level == 5) {
        assertThat(answer).containsExactly(0x20, 3, 0, 0x81, 0);
      } else {
        assertThat(answer).isEmpty();
      }
      assertThat(rejection(mqtt)).isEqualTo("malformed_packet");
    }
  }

  /**
   * Verifies that an MQTT 5 will with Will Retain set is refused with CONNACK 0x9A (Retain not
   * supported) while the broker announces Retain Available = 0 ([MQTT-3.2.2-13]).
   */
  @Test
  void anMqtt5RetainedWillIsRefusedWithConnack0x9A() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = withWill(5, "will-retained-5", "wills/will-retained-5");
      connect.willRetain = true;

      RawMqtt.Packet connack = device.connect(connect);

      assertThat(code(connack)).isEqualTo(0x9A);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("retain_not_supported");
    }
  }

  /**
   * Verifies that an MQTT 5 will whose Payload Format Indicator says UTF-8 but whose payload is not
   * UTF-8 is refused with CONNACK 0x99 (Payload format invalid), as §3.1.3.2.3 allows.
   */
  @Test
  void anMqtt5WillPayloadThatIsNotItsAnnouncedUtf8IsRefusedWithConnack0x99() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = withWill(5, "will-format-5", "wills/will-format-5");
      connect.willProperties = new RawMqtt.Properties().oneByte(0x01, 1).encode();
      connect.willPayloadBytes = new byte[] {'o', 'f', (byte) 0xC3, 0x28};

      RawMqtt.Packet connack = device.connect(connect);

      assertThat(code(connack)).isEqualTo(0x99);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("payload_format_invalid");
    }
  }

  /**
   * Verifies that an MQTT 5 will whose Response Topic has a wildcard is refused with CONNACK 0x82
   * (Protocol Error): a Response Topic is a topic name (§3.1.3.2.6, [MQTT-3.3.2-14]).
   */
  @Test
  void anMqtt5WillResponseTopicWithAWildcardIsRefusedWithConnack0x82() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = withWill(5, "will-response-5", "wills/will-response-5");
      connect.willProperties = new RawMqtt.Properties().string(0x08, "replies/+").encode();

      RawMqtt.Packet connack = device.connect(connect);

      assertThat(code(connack)).isEqualTo(0x82);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("protocol_error");
    }
  }

  /**
   * Verifies that an MQTT 5 CONNECT naming an Authentication Method (enhanced authentication, which
   * the broker does not support) is refused with CONNACK 0x8C and closed ([MQTT-4.12.0-1]).
   */
  @Test
  void anMqtt5AuthenticationMethodIsRefusedWithConnack0x8C() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 5;
      connect.clientId = "auth-method-5";
      connect.connectProperties = new RawMqtt.Properties().string(0x15, "SCRAM-SHA-1").encode();

      RawMqtt.Packet connack = device.connect(connect);

      assertThat(code(connack)).isEqualTo(0x8C);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("auth_failed");
    }
  }

  /**
   * Verifies that an MQTT 3.1.1 CONNECT with Will QoS set but no Will Flag closes the connection
   * without a CONNACK ([MQTT-3.1.2-13], [MQTT-4.8.0-1]): vertx-mqtt would answer CONNACK 0x82, a
   * code 3.1.1 does not have.
   */
  @Test
  void anMqtt311WillQosWithoutAWillClosesWithoutConnack() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a CONNECT whose flags are Clean Session and Will QoS 1, without the Will Flag
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02 | 0x08, 0, 30});
      body.writeBytes(new byte[] {0, 13});
      body.writeBytes("will-qos-only".getBytes(StandardCharsets.UTF_8));
      RawMqtt device = mqtt.raw();

      // when it is sent
      device.send(RawMqtt.packet(0x10, body.toByteArray()));

      // then the connection closes without a packet
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("protocol_error");
    }
  }

  /**
   * Verifies that an MQTT 3.1.1 CONNECT with a password but no user name closes the connection
   * without a CONNACK ([MQTT-3.1.2-22], [MQTT-4.8.0-1]).
   */
  @Test
  void anMqtt311PasswordWithoutAUserNameClosesWithoutConnack() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a CONNECT whose flags are Clean Session and Password, without User Name
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02 | 0x40, 0, 30});
      body.writeBytes(new byte[] {0, 12});
      body.writeBytes("pass-no-user".getBytes(StandardCharsets.UTF_8));
      body.writeBytes(new byte[] {0, 6});
      body.writeBytes("secret".getBytes(StandardCharsets.UTF_8));
      RawMqtt device = mqtt.raw();

      // when it is sent
      device.send(RawMqtt.packet(0x10, body.toByteArray()));

      // then the connection closes without a packet
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("protocol_error");
    }
  }

  /**
   * Verifies that MQTT 3.1 (protocol "MQIsdp", level 3) client ids follow 3.1's rule: 1 to 23
   * characters, otherwise CONNACK 2 Identifier Rejected and close (MQTT V3.1 §3.1, Client
   * Identifier).
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "mqtt31-twenty-four-chars"})
  void anMqtt31ClientIdOutside1To23CharactersGetsConnack2(String clientId) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      assertThat(clientId.length()).isIn(0, 24);
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 3;
      connect.clientId = clientId;

      RawMqtt.Packet connack = device.connect(connect);

      assertThat(code(connack)).isEqualTo(0x02);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(rejection(mqtt)).isEqualTo("identifier_rejected");
    }
  }

  /**
   * Verifies that the MQTT 5 CONNACK announces the Maximum Packet Size the broker enforces
   * (§3.2.2.3.6): a packet of exactly that size is accepted, one byte more gets DISCONNECT 0x95
   * (Packet too large) and the close.
   */
  @Test
  @ExpectCloses({CloseReason.CLIENT_CLOSED, CloseReason.PROTOCOL_ERROR})
  void theConnackAnnouncesTheMaximumPacketSizeThatIsEnforced() throws Exception {
    MqttOptions options = new MqttOptions("127.0.0.1", 0, 10_000, 300, 1024);
    try (MqttHarness mqtt = new MqttHarness(options, DeviceAuth.NONE)) {
      // given the size an MQTT 5 client is told
      MqttClient client = new MqttClient(mqtt.uri(), "max-packet-told", new MemoryPersistence());
      IMqttToken token = client.connectWithResult(new MqttConnectionOptions());
      long maximum = token.getResponseProperties().getMaximumPacketSize();
      client.disconnect();
      client.close();
      // 1024 bytes of Remaining Length, its 2 bytes, the first byte
      assertThat(maximum).isEqualTo(1027);

      // when a device sends a QoS 1 PUBLISH of exactly that size, then one a byte bigger
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 5;
      connect.clientId = "max-packet-tried";
      assertThat(code(device.connect(connect))).isZero();
      // topic "t" (3 bytes) + packet id (2) + properties length (1) = 6; the rest is payload
      byte[] fits = RawMqtt.publish(0x02, "t", 1, new byte[] {0}, new byte[1024 - 6]);
      byte[] tooBig = RawMqtt.publish(0x02, "t", 2, new byte[] {0}, new byte[1024 - 6 + 1]);
      assertThat(fits).hasSize(1027);
      assertThat(tooBig).hasSize(1028);
      device.send(fits);
      RawMqtt.Packet puback = device.read();
      device.send(tooBig);

      // then the first is acknowledged, the second ends the connection with 0x95
      assertThat(puback.type()).isEqualTo(4);
      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x95);
      assertThat(device.bytesUntilClosed()).isEmpty();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "max-packet-tried").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }
}

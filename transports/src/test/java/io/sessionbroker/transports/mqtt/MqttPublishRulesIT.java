package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an MQTT 5 PUBLISH may carry to this broker, given its CONNACK (no Topic Alias Maximum,
 * Retain Available = 0), and what the broker passes on to subscribers: the message's properties,
 * unaltered and in order.
 */
@Timeout(60)
class MqttPublishRulesIT {

  /**
   * Connects an MQTT 5 raw device, sends {@code publish}, and returns the reason code of the
   * DISCONNECT the broker answers with, after checking the close and the PROTOCOL_ERROR end.
   */
  private static int disconnectCodeFor(MqttHarness mqtt, String clientId, byte[] publish)
      throws Exception {
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = 5;
    connect.clientId = clientId;
    assertThat(device.connect(connect).body()[1]).isZero();
    mqtt.fixture.await(Addresses.OPENED, clientId);

    device.send(publish);

    RawMqtt.Packet disconnect = device.read();
    assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, clientId).getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
    return disconnect.body()[0] & 0xFF;
  }

  private static byte[] text(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Verifies that a PUBLISH with a Topic Alias gets DISCONNECT 0x94 (Topic Alias invalid): the
   * CONNACK announces no Topic Alias Maximum, so the client must send none ([MQTT-3.2.2-18]).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aTopicAliasGetsDisconnect0x94() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      byte[] alias = new RawMqtt.Properties().twoBytes(0x23, 1).encode();

      int code =
          disconnectCodeFor(mqtt, "alias-user", RawMqtt.publish(0, "a/b", 0, alias, text("x")));

      assertThat(code).isEqualTo(0x94);
    }
  }

  /**
   * Verifies that a retained PUBLISH gets DISCONNECT 0x9A (Retain not supported) while the CONNACK
   * says Retain Available = 0 ([MQTT-3.2.2-14]).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aRetainedPublishGetsDisconnect0x9A() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      byte[] none = new RawMqtt.Properties().encode();

      int code =
          disconnectCodeFor(mqtt, "retain-user", RawMqtt.publish(0x01, "a/b", 0, none, text("x")));

      assertThat(code).isEqualTo(0x9A);
    }
  }

  /**
   * Verifies that a PUBLISH from a client carrying a Subscription Identifier gets DISCONNECT 0x82
   * (Protocol Error) ([MQTT-3.3.4-6]).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSubscriptionIdentifierInAClientPublishGetsDisconnect0x82() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      byte[] subscriptionId = new RawMqtt.Properties().varInt(0x0B, 7).encode();

      int code =
          disconnectCodeFor(
              mqtt, "sub-id-user", RawMqtt.publish(0, "a/b", 0, subscriptionId, text("x")));

      assertThat(code).isEqualTo(0x82);
    }
  }

  /**
   * Verifies that a PUBLISH whose Response Topic has a wildcard gets DISCONNECT 0x82 (Protocol
   * Error) ([MQTT-3.3.2-14]).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aResponseTopicWithAWildcardGetsDisconnect0x82() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      byte[] wildcard = new RawMqtt.Properties().string(0x08, "replies/#").encode();

      int code =
          disconnectCodeFor(
              mqtt, "response-wildcard-user", RawMqtt.publish(0, "a/b", 0, wildcard, text("x")));

      assertThat(code).isEqualTo(0x82);
    }
  }

  /**
   * Verifies that a PUBLISH whose Payload Format Indicator says UTF-8 but whose payload is not gets
   * DISCONNECT 0x99 (Payload format invalid), as §3.3.2.3.2 allows.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aPayloadThatIsNotItsAnnouncedUtf8GetsDisconnect0x99() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      byte[] utf8 = new RawMqtt.Properties().oneByte(0x01, 1).encode();
      byte[] notUtf8 = {'o', 'k', (byte) 0xFF};

      int code =
          disconnectCodeFor(mqtt, "format-user", RawMqtt.publish(0, "a/b", 0, utf8, notUtf8));

      assertThat(code).isEqualTo(0x99);
    }
  }

  /**
   * Verifies that a message bigger than the Maximum Packet Size a subscriber asked for is not sent
   * to it ([MQTT-3.1.2-24]) but dropped for that subscriber alone ([MQTT-3.1.2-25]): the next one
   * that fits arrives, on the same connection.
   */
  @Test
  void aMessageBiggerThanTheSubscribersMaximumPacketSizeIsDroppedForIt() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      // given an MQTT 5 subscriber that takes packets of at most 64 bytes
      org.eclipse.paho.mqttv5.client.MqttConnectionOptions small =
          new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      small.setMaximumPacketSize(64L);
      BlockingQueue<MqttHarness.Received5> received =
          MqttHarness.subscriber5(mqtt.uri(), "small-packets-watcher", "small/#", small);

      // when a 100-byte message is published, then a small one
      MqttClient device = new MqttClient(mqtt.uri(), "big-publisher", new MemoryPersistence());
      device.connect();
      device.publish("small/1", new byte[100], 1, false);
      device.publish("small/1", text("fits"), 1, false);

      // then only the small one reaches it
      MqttHarness.Received5 first = received.poll(10, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      assertThat(new String(first.message().getPayload(), StandardCharsets.UTF_8))
          .isEqualTo("fits");
    }
  }

  /**
   * Verifies that a message reaches an MQTT 5 subscriber with the properties it was published with:
   * Payload Format Indicator ([MQTT-3.3.2-4]), Message Expiry Interval (no time waited:
   * [MQTT-3.3.2-6]), Response Topic ([MQTT-3.3.2-15]), Correlation Data ([MQTT-3.3.2-16]), User
   * Properties unaltered and in order ([MQTT-3.3.2-17], [MQTT-3.3.2-18]) and Content Type
   * ([MQTT-3.3.2-20]).
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aMessageReachesAnMqtt5SubscriberWithItsProperties() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      // given an MQTT 5 subscriber
      BlockingQueue<MqttHarness.Received5> received = mqtt.subscriber5("props-watcher", "props/#");
      List<UserProperty> userProperties =
          List.of(
              new UserProperty("b", "2"), new UserProperty("a", "1"), new UserProperty("b", "3"));

      // when an MQTT 5 device publishes a message with every property a message can carry
      MqttProperties properties = new MqttProperties();
      properties.setUserProperties(userProperties);
      properties.setContentType("application/json");
      properties.setResponseTopic("props/replies");
      properties.setCorrelationData(new byte[] {9, 8, 7});
      properties.setPayloadFormat(true);
      properties.setMessageExpiryInterval(3600L);
      MqttMessage message = new MqttMessage(text("{\"t\":1}"));
      message.setQos(1);
      message.setProperties(properties);
      MqttClient device = new MqttClient(mqtt.uri(), "props-publisher", new MemoryPersistence());
      device.connect();
      device.publish("props/1", message);
      device.disconnect();
      device.close();

      // then the subscriber gets it with those properties
      MqttHarness.Received5 got = received.poll(10, TimeUnit.SECONDS);
      assertThat(got).isNotNull();
      MqttProperties forwarded = got.message().getProperties();
      assertThat(forwarded.getUserProperties()).containsExactlyElementsOf(userProperties);
      assertThat(forwarded.getContentType()).isEqualTo("application/json");
      assertThat(forwarded.getResponseTopic()).isEqualTo("props/replies");
      assertThat(forwarded.getCorrelationData()).containsExactly(9, 8, 7);
      assertThat(forwarded.getPayloadFormat()).isTrue();
      assertThat(forwarded.getMessageExpiryInterval()).isEqualTo(3600L);
    }
  }
}

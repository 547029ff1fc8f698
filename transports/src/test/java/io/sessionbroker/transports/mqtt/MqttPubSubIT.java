package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the in-memory pub/sub with real Paho clients: wildcards, QoS, devices.inbound, session
 * present.
 */
@Timeout(60)
class MqttPubSubIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void wildcardSubscriptionsReceiveExactlyTheMatchingPublishes() throws Exception {
    // given subscribers to sensors/+/temp and to alerts/#
    BlockingQueue<String> temps = mqtt.subscriber("temps", "sensors/+/temp");
    BlockingQueue<String> alerts = mqtt.subscriber("alerts", "alerts/#");
    MqttClient device = mqtt.paho3("sensor-7", 30);

    // when a device publishes to matching and non-matching topics, at QoS 0, 1 and 2
    device.publish("sensors/7/humidity", utf8("40"), 0, false);
    device.publish("sensors/7/temp", utf8("21.5"), 1, false);
    device.publish("alerts/fire/kitchen", utf8("smoke"), 2, false);
    device.publish("sensors/7/temp/raw", utf8("2150"), 0, false);
    device.publish("alerts", utf8("all-clear"), 1, false);

    // then each subscriber gets its matches, in order, and nothing else (the markers come right
    // after)
    mqtt.publishMarker("sensors/marker/temp");
    mqtt.publishMarker("alerts/marker");
    assertThat(temps.poll(5, TimeUnit.SECONDS)).isEqualTo("sensors/7/temp 21.5");
    assertThat(temps.poll(5, TimeUnit.SECONDS)).isEqualTo("sensors/marker/temp marker");
    assertThat(alerts.poll(5, TimeUnit.SECONDS)).isEqualTo("alerts/fire/kitchen smoke");
    assertThat(alerts.poll(5, TimeUnit.SECONDS)).isEqualTo("alerts all-clear");
    assertThat(alerts.poll(5, TimeUnit.SECONDS)).isEqualTo("alerts/marker marker");
    device.disconnect();
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void everyDevicePublishGoesToDevicesInbound() throws Exception {
    MqttClient device = mqtt.paho3("thermo", 30);
    JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "thermo");

    device.publish("thermo/state", utf8("{\"temp\":21}"), 1, false);
    device.publish("thermo/log", utf8("booted"), 0, false);

    JsonObject json = mqtt.fixture.await(Addresses.INBOUND, "thermo");
    assertThat(json.getString("sessionId")).isEqualTo(opened.getString("sessionId"));
    assertThat(json.getString("transport")).isEqualTo("mqtt");
    assertThat(json.getString("topic")).isEqualTo("thermo/state");
    assertThat(json.getJsonObject("payload")).isEqualTo(new JsonObject().put("temp", 21));
    JsonObject text = mqtt.fixture.await(Addresses.INBOUND, "thermo");
    assertThat(text.getString("payload")).isEqualTo("booted");
    device.disconnect();
  }

  @Test
  void aPublishSentRightBehindTheConnectWaitsForTheSessionAndIsNotLost() throws Exception {
    // given CONNECT and PUBLISH in one write, as §3.1.4 allows (the client need not wait for
    // CONNACK)
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = "hasty";
    byte[] publish = RawMqtt.packet(0x30, new byte[] {0, 3, 'a', '/', 'b', 'h', 'i'});
    byte[] connectBytes = connect.encode();
    byte[] both = java.util.Arrays.copyOf(connectBytes, connectBytes.length + publish.length);
    System.arraycopy(publish, 0, both, connectBytes.length, publish.length);

    // when
    RawMqtt device = mqtt.raw();
    device.send(both);

    // then the CONNACK comes and the publish reaches devices.inbound
    assertThat(device.read().type()).isEqualTo(RawMqtt.CONNACK);
    JsonObject inbound = mqtt.fixture.await(Addresses.INBOUND, "hasty");
    assertThat(inbound.getString("topic")).isEqualTo("a/b");
    assertThat(inbound.getString("payload")).isEqualTo("hi");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aPublishToATopicWithAWildcardEndsTheSessionWithProtocolError() throws Exception {
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = "wild";
    device.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "wild");

    // PUBLISH QoS 0 to "a/#": §3.3.2.1, a Topic Name must not contain wildcards
    device.send(RawMqtt.packet(0x30, new byte[] {0, 3, 'a', '/', '#', 'x'}));

    // an MQTT 3.1.1 client has no DISCONNECT from the server: the connection just closes
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "wild").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aPersistentSessionIsResumedWithSessionPresentAndItsSubscriptions() throws Exception {
    // given a client with Clean Session 0 that subscribed, then went away
    MqttConnectOptions persistent = new MqttConnectOptions();
    persistent.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    persistent.setCleanSession(false);
    MqttClient first = new MqttClient(mqtt.uri(), "keeper", new MemoryPersistence());
    IMqttToken firstConnect = first.connectWithResult(persistent);
    assertThat(firstConnect.getSessionPresent()).isFalse();
    first.subscribe("news/#", 1);
    first.disconnect();
    first.close();

    // when it reconnects with Clean Session 0
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    MqttClient second = new MqttClient(mqtt.uri(), "keeper", new MemoryPersistence());
    second.setCallback(
        new org.eclipse.paho.client.mqttv3.MqttCallback() {
          @Override
          public void connectionLost(Throwable cause) {}

          @Override
          public void messageArrived(
              String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
            received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
          }

          @Override
          public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
        });
    IMqttToken secondConnect = second.connectWithResult(persistent);

    // then Session Present is 1 and the old subscription delivers without subscribing again
    assertThat(secondConnect.getSessionPresent()).isTrue();
    mqtt.publishMarker("news/today");
    assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("news/today marker");
    second.disconnect();

    // and a clean session discards it: Session Present 0
    MqttConnectOptions clean = new MqttConnectOptions();
    clean.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    MqttClient third = new MqttClient(mqtt.uri(), "keeper", new MemoryPersistence());
    assertThat(third.connectWithResult(clean).getSessionPresent()).isFalse();
    third.disconnect();
  }

  /**
   * Verifies that a valid MQTT 5 PUBLISH whose property section is 128 bytes or longer and ends
   * with a short property (MQTT 5 §2.2.2: any order is allowed) reaches subscribers with its
   * payload intact. Netty's decoder alone stopped before that last property and read its two bytes
   * as the start of the payload ({@link PropertyOrder}).
   */
  @Test
  void aLongPropertySectionEndingInAShortPropertyLeavesThePayloadIntact() throws Exception {
    // given a subscriber, and an MQTT 5 device
    BlockingQueue<String> received = mqtt.subscriber("long-props-reader", "long/props");
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = 5;
    connect.clientId = "long-props-writer";
    assertThat(device.connect(connect).body()[1]).isZero();

    // when it publishes "hello" with Property Length 133 (two bytes): a User Property of 131
    // bytes, then Payload Format Indicator 1
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.writeBytes(new byte[] {0, 10});
    body.writeBytes(utf8("long/props"));
    body.writeBytes(new byte[] {(byte) (133 | 0x80), 1, 0x26, 0, 1, 'k', 0, 125});
    body.writeBytes(utf8("v".repeat(125)));
    body.writeBytes(new byte[] {0x01, 0x01});
    body.writeBytes(utf8("hello"));
    device.send(RawMqtt.packet(0x30, body.toByteArray()));

    // then
    assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("long/props hello");
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An MQTT 5 will goes out with its Will Properties (§3.1.3.2): User Properties in their order
 * ([MQTT-3.1.3-10]), Content Type, Response Topic, Correlation Data, Payload Format Indicator and
 * Message Expiry Interval — to subscribers on the device's node, on other nodes, and in the {@code
 * sessions.closed} event a survivor publishes a lost node's wills from ({@link ClusterRouter}).
 */
@Timeout(60)
class MqttWillPropertiesIT {

  private static final List<UserProperty> USER_PROPERTIES =
      List.of(
          new UserProperty("site", "north"),
          new UserProperty("rack", "7"),
          new UserProperty("site", "south"));

  /** An MQTT 5 device (Paho) whose will carries every property a message can carry. */
  private static MqttClient deviceWithWill(String uri, String clientId, String willTopic)
      throws Exception {
    MqttProperties properties = new MqttProperties();
    properties.setUserProperties(USER_PROPERTIES);
    properties.setContentType("text/plain");
    properties.setResponseTopic("replies/" + clientId);
    properties.setCorrelationData(new byte[] {1, 2, 3});
    properties.setPayloadFormat(true);
    properties.setMessageExpiryInterval(600L);
    MqttMessage will = new MqttMessage("offline".getBytes(StandardCharsets.UTF_8));
    will.setQos(1);
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setWill(willTopic, will);
    options.setWillMessageProperties(properties);
    MqttClient client = new MqttClient(uri, clientId, new MemoryPersistence());
    client.connect(options);
    return client;
  }

  private static void assertCarriesEveryWillProperty(MqttHarness.Received5 received) {
    assertThat(received).as("the will").isNotNull();
    assertThat(new String(received.message().getPayload(), StandardCharsets.UTF_8))
        .isEqualTo("offline");
    MqttProperties properties = received.message().getProperties();
    assertThat(properties.getUserProperties()).containsExactlyElementsOf(USER_PROPERTIES);
    assertThat(properties.getContentType()).isEqualTo("text/plain");
    assertThat(properties.getResponseTopic()).startsWith("replies/");
    assertThat(properties.getCorrelationData()).containsExactly(1, 2, 3);
    assertThat(properties.getPayloadFormat()).isTrue();
    assertThat(properties.getMessageExpiryInterval()).isEqualTo(600L);
  }

  /**
   * Verifies that a will reaches an MQTT 5 subscriber on the same node with all its properties,
   * user properties in order ([MQTT-3.1.3-10], §3.1.3.2), and that the close event carries them.
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aWillReachesALocalMqtt5SubscriberWithItsProperties() throws Exception {
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      // given an MQTT 5 subscriber, and a device whose will has every message property
      BlockingQueue<MqttHarness.Received5> received =
          mqtt.subscriber5("will-props-watcher", "wills/will-props");
      deviceWithWill(mqtt.uri(), "will-props", "wills/will-props");
      mqtt.fixture.await(Addresses.OPENED, "will-props");

      // when its session ends without a DISCONNECT
      mqtt.fixture.table.admin().kick("will-props").await(5, TimeUnit.SECONDS);

      // then the subscriber gets the will with its properties, and so does sessions.closed
      assertCarriesEveryWillProperty(received.poll(10, TimeUnit.SECONDS));
      JsonObject properties =
          mqtt.fixture
              .await(Addresses.CLOSED, "will-props")
              .getJsonObject("will")
              .getJsonObject("properties");
      assertThat(properties.getJsonArray("userProperties").encode())
          .isEqualTo(
              "[{\"name\":\"site\",\"value\":\"north\"},{\"name\":\"rack\",\"value\":\"7\"},"
                  + "{\"name\":\"site\",\"value\":\"south\"}]");
      assertThat(properties.getString("contentType")).isEqualTo("text/plain");
      assertThat(properties.getString("responseTopic")).isEqualTo("replies/will-props");
      assertThat(properties.getString("correlationDataBase64")).isEqualTo("AQID");
      assertThat(properties.getInteger("payloadFormatIndicator")).isEqualTo(1);
      assertThat(properties.getLong("messageExpiryIntervalSeconds")).isEqualTo(600L);
    }
  }

  /**
   * Verifies that a will crosses to an MQTT 5 subscriber on another node (the cluster router's
   * event bus hop) with all its properties, user properties in order ([MQTT-3.1.3-10]).
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aWillReachesAnMqtt5SubscriberOnAnotherNodeWithItsProperties() throws Exception {
    try (MqttHarness nodeA =
        MqttHarness.everyTopic(vertx -> new ClusterRouter(vertx.eventBus(), "node-a"))) {
      // given a second node's MQTT transport on the same event bus, with an MQTT 5 subscriber
      MqttTransport nodeB =
          new MqttTransport(
              nodeA.fixture.table,
              MqttOptions.defaults().withPort(0),
              DeviceAuth.NONE,
              new ClusterRouter(nodeA.fixture.vertx.eventBus(), "node-b"),
              ListenerTls.NONE,
              MqttHarness.aclFile("topic readwrite #"));
      nodeA.fixture.vertx.deployVerticle(nodeB).await(10, TimeUnit.SECONDS);
      BlockingQueue<MqttHarness.Received5> onB =
          MqttHarness.subscriber5(
              "tcp://127.0.0.1:" + nodeB.port(), "remote-will-watcher", "wills/remote-will");
      // and a device with a will on the first node
      deviceWithWill(nodeA.uri(), "remote-will", "wills/remote-will");
      nodeA.fixture.await(Addresses.OPENED, "remote-will");

      // when its session ends without a DISCONNECT
      nodeA.fixture.table.admin().kick("remote-will").await(5, TimeUnit.SECONDS);

      // then the subscriber on the other node gets the will with its properties
      assertCarriesEveryWillProperty(onB.poll(10, TimeUnit.SECONDS));
    }
  }
}

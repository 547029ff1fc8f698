package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.CommandReply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies commands to MQTT devices with real clients (Paho 3.1.1 and 5): the broker publishes
 * {@code commands/{deviceId}/req/{id}/{name}} at the QoS the device subscribed with (at most 1),
 * MQTT 5 with a Response Topic and Correlation Data (§4.10 request/response), and the device's
 * PUBLISH on {@code commands/{deviceId}/res/{id}/{status}} is the command's reply — only for its
 * own device id.
 */
@Timeout(60)
class MqttCommandsIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    // Every topic open to every client: the command topics' own guards are under test, not the
    // default ACL (which alone would refuse the watcher's commands/# and the forged reply).
    mqtt = MqttHarness.everyTopic();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  private record Received(String topic, MqttMessage message) {}

  /** A Paho 3.1.1 device subscribed to its command requests at {@code qos}. */
  private MqttClient device(String clientId, int qos, BlockingQueue<Received> received)
      throws Exception {
    MqttClient client = mqtt.paho3(clientId, 30);
    client.subscribe(
        "commands/" + clientId + "/req/#",
        qos,
        (topic, message) -> received.add(new Received(topic, message)));
    mqtt.fixture.await(Addresses.OPENED, clientId);
    return client;
  }

  private Future<CommandReply> command(
      String deviceId, String name, Object payload, long timeoutMs) {
    return mqtt.fixture.table.admin().command(deviceId, name, payload, false, timeoutMs);
  }

  /**
   * Verifies that a 3.1.1 device subscribed at QoS 1 gets the command as a QoS 1 PUBLISH on {@code
   * commands/{deviceId}/req/{id}/{name}} with the JSON payload, and its PUBLISH on {@code
   * commands/{deviceId}/res/{id}/{status}} answers the command.
   */
  @Test
  void aPaho311DeviceGetsTheCommandAtQos1AndAnswersOnTheResponseTopic() throws Exception {
    // given
    BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    MqttClient client = device("mqtt-cmd-1", 1, received);

    // when
    Future<CommandReply> reply =
        command("mqtt-cmd-1", "reboot", new JsonObject().put("delayS", 5), 10_000);
    Received request = received.poll(10, TimeUnit.SECONDS);
    String[] levels = request.topic().split("/");
    client.publish(
        "commands/mqtt-cmd-1/res/" + levels[3] + "/200",
        "{\"rebooting\":true}".getBytes(StandardCharsets.UTF_8),
        1,
        false);

    // then
    assertThat(levels).hasSize(5);
    assertThat(levels[0] + "/" + levels[1] + "/" + levels[2] + "/" + levels[4])
        .isEqualTo("commands/mqtt-cmd-1/req/reboot");
    assertThat(request.message().getQos()).isEqualTo(1);
    assertThat(new String(request.message().getPayload(), StandardCharsets.UTF_8))
        .isEqualTo("{\"delayS\":5}");
    assertThat(reply.await(10, TimeUnit.SECONDS))
        .isEqualTo(new CommandReply(200, new JsonObject().put("rebooting", true)));
    client.disconnect();
  }

  /** Verifies that a device subscribed at QoS 0 gets its commands at QoS 0. */
  @Test
  void aDeviceSubscribedAtQos0GetsCommandsAtQos0() throws Exception {
    BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    MqttClient client = device("mqtt-cmd-2", 0, received);

    command("mqtt-cmd-2", "blink", null, 1_000);

    assertThat(received.poll(10, TimeUnit.SECONDS).message().getQos()).isZero();
    client.disconnect();
  }

  /**
   * Verifies that an MQTT 5 device gets the Response Topic {@code commands/{deviceId}/res/{id}} and
   * the command id as Correlation Data, and that its PUBLISH to that Response Topic, echoing the
   * Correlation Data, answers with status 200 (MQTT 5 §4.10, request/response).
   */
  @Test
  void anMqtt5DeviceGetsAResponseTopicAndCorrelationDataAndAnswersThere() throws Exception {
    // given
    BlockingQueue<MqttHarness.Received5> received = new LinkedBlockingQueue<>();
    var client =
        new org.eclipse.paho.mqttv5.client.MqttClient(
            mqtt.uri(),
            "mqtt5-cmd-1",
            new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    client.connect();
    client.subscribe(
        new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
          new org.eclipse.paho.mqttv5.common.MqttSubscription("commands/mqtt5-cmd-1/req/#", 1)
        },
        new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {
          (topic, message) -> received.add(new MqttHarness.Received5(topic, message))
        });
    mqtt.fixture.await(Addresses.OPENED, "mqtt5-cmd-1");

    // when
    Future<CommandReply> reply = command("mqtt5-cmd-1", "read-config", null, 10_000);
    MqttHarness.Received5 request = received.poll(10, TimeUnit.SECONDS);
    var properties = request.message().getProperties();
    var answer =
        new org.eclipse.paho.mqttv5.common.MqttMessage(
            "{\"interval\":30}".getBytes(StandardCharsets.UTF_8));
    answer.setQos(1);
    var answerProperties = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
    answerProperties.setCorrelationData(properties.getCorrelationData());
    answer.setProperties(answerProperties);
    client.publish(properties.getResponseTopic(), answer);

    // then
    String id = request.topic().split("/")[3];
    assertThat(properties.getResponseTopic()).isEqualTo("commands/mqtt5-cmd-1/res/" + id);
    assertThat(new String(properties.getCorrelationData(), StandardCharsets.UTF_8)).isEqualTo(id);
    assertThat(reply.await(10, TimeUnit.SECONDS))
        .isEqualTo(new CommandReply(200, new JsonObject().put("interval", 30)));
    client.disconnect();
    client.close();
  }

  /**
   * Verifies that a PUBLISH answering another device's command is refused: it answers nothing and
   * reaches no subscriber, and the command times out (504).
   */
  @Test
  void aReplyForAnotherDeviceIsRefused() throws Exception {
    // given
    BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    MqttClient victim = device("mqtt-cmd-victim", 1, received);
    MqttClient other = mqtt.paho3("mqtt-cmd-other", 30);
    BlockingQueue<String> watcher = mqtt.subscriber("mqtt-cmd-watcher", "commands/#");
    Future<CommandReply> reply = command("mqtt-cmd-victim", "unlock", null, 1_500);
    String id = received.poll(10, TimeUnit.SECONDS).topic().split("/")[3];

    // when
    other.publish(
        "commands/mqtt-cmd-victim/res/" + id + "/200",
        "\"forged\"".getBytes(StandardCharsets.UTF_8),
        1,
        false);

    // then
    assertThat(failureCode(reply)).isEqualTo(CommandFailure.TIMEOUT);
    assertThat(watcher.poll()).as("a publish under commands/ reached a subscriber").isNull();
    victim.disconnect();
    other.disconnect();
  }

  private static int failureCode(Future<?> future) throws Exception {
    Throwable cause =
        future
            .toCompletionStage()
            .toCompletableFuture()
            .handle((result, failure) -> failure)
            .get(10, TimeUnit.SECONDS);
    return ((CommandFailure) cause).code();
  }
}

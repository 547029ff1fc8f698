package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Keep-alive, timeout, socket loss, DISCONNECT and the will, over real sockets. */
@Timeout(60)
class MqttLivenessIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = new MqttHarness();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  private static RawMqtt.Connect device(String id, int keepAlive) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = id;
    connect.keepAlive = keepAlive;
    connect.willTopic = "wills/" + id;
    connect.willPayload = "{\"gone\":\"" + id + "\"}";
    return connect;
  }

  @Test
  void pingreqKeepsASessionAlivePastItsTimeout() throws Exception {
    try (RawMqtt device = mqtt.raw()) {
      // given a device with keep-alive 1 s (timeout 1.5 s)
      device.connect(device("pinger", 1));
      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "pinger");
      assertThat(opened.getInteger("timeoutMs")).isEqualTo(1500);

      // when it sends PINGREQ every 500 ms for 3 s, twice its timeout
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < end) {
        device.send(RawMqtt.PINGREQ);
        assertThat(device.read().type()).isEqualTo(RawMqtt.PINGRESP);
        TimeUnit.MILLISECONDS.sleep(500); // the device's own heartbeat period, not a wait for the broker
      }

      // then its session is still open
      assertThat(mqtt.fixture.table.get("pinger").await(5, TimeUnit.SECONDS)).isNotNull();
      device.send(RawMqtt.DISCONNECT_NORMAL);
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "pinger").getString("reason")).isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  void silenceEndsTheSessionWithTimeoutAfterOneAndAHalfKeepAlivesAndPublishesTheWill() throws Exception {
    // given a subscriber to the wills, and a device with keep-alive 1 s and a will
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    try (RawMqtt device = mqtt.raw()) {
      device.connect(device("sleepy", 1));
      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "sleepy");

      // when the device stays silent
      JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "sleepy");

      // then the table evicts it with TIMEOUT 1.5 s after its last packet, carrying the will
      assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
      assertThat(closed.getLong("at") - opened.getLong("at")).isBetween(1500L, 1500L + 150L);
      assertThat(closed.getJsonObject("will").getString("topic")).isEqualTo("wills/sleepy");
      assertThat(closed.getJsonObject("will").getJsonObject("payload")).isEqualTo(new JsonObject().put("gone", "sleepy"));
      assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/sleepy {\"gone\":\"sleepy\"}");
      assertThat(device.closedByBroker()).isTrue();
    }
  }

  @Test
  void socketLossWithoutDisconnectEndsWithConnectionLostAndPublishesTheWill() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/+");
    // given a connected device with a will
    RawMqtt device = mqtt.raw();
    device.connect(device("unplugged", 30));
    mqtt.fixture.await(Addresses.OPENED, "unplugged");

    // when its socket goes away without DISCONNECT
    device.close();

    // then
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "unplugged");
    assertThat(closed.getString("reason")).isEqualTo("CONNECTION_LOST");
    assertThat(closed.getJsonObject("will")).isNotNull();
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/unplugged {\"gone\":\"unplugged\"}");
  }

  @Test
  void disconnectEndsWithClientClosedAndDiscardsTheWill() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given a Paho 3.1.1 client with a will
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setWill("wills/polite", "bye".getBytes(), 1, false);
    MqttClient client = mqtt.paho3("polite", options);
    mqtt.fixture.await(Addresses.OPENED, "polite");

    // when it disconnects
    client.disconnect();
    client.close();

    // then no will: not in the event, not to subscribers (the marker is the first thing they get)
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "polite");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    assertThat(closed.containsKey("will")).isFalse();
    mqtt.publishMarker("wills/polite");
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/polite marker");
  }

  @Test
  void mqtt5DisconnectWithReason0x04PublishesTheWill() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    try (RawMqtt device = mqtt.raw()) {
      RawMqtt.Connect connect = device("dramatic", 30);
      connect.level = 5;
      device.connect(connect);
      mqtt.fixture.await(Addresses.OPENED, "dramatic");

      device.send(RawMqtt.DISCONNECT_WITH_WILL);

      JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "dramatic");
      assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
      assertThat(closed.getJsonObject("will")).isNotNull();
      assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/dramatic {\"gone\":\"dramatic\"}");
    }
  }

  @Test
  void willDelayIntervalHoldsTheWillAndAReconnectionInTimeCancelsIt() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given an MQTT 5 device whose will waits 2 s and whose session outlives the connection
    RawMqtt.Connect connect = device("flaky", 30);
    connect.level = 5;
    connect.willDelaySeconds = 2;
    connect.sessionExpirySeconds = 60;
    RawMqtt first = mqtt.raw();
    first.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "flaky");

    // when its socket drops and it comes back, resuming its session, within the delay
    first.close();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "flaky").getString("reason")).isEqualTo("CONNECTION_LOST");
    connect.clean = false;
    try (RawMqtt second = mqtt.raw()) {
      second.connect(connect);
      mqtt.fixture.await(Addresses.OPENED, "flaky");

      // then the will is never published: after the delay has passed, the marker is the first message
      TimeUnit.MILLISECONDS.sleep(2_500); // the will delay itself: nothing to wait for but time
      mqtt.publishMarker("wills/flaky");
      assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/flaky marker");
    }
  }

  @Test
  void willDelayIntervalPublishesTheWillLateWhenTheClientStaysAway() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    RawMqtt.Connect connect = device("gone", 30);
    connect.level = 5;
    connect.willDelaySeconds = 1;
    connect.sessionExpirySeconds = 60;
    RawMqtt device = mqtt.raw();
    device.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "gone");

    device.close();
    long closedAt = System.nanoTime();
    mqtt.fixture.await(Addresses.CLOSED, "gone");

    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/gone {\"gone\":\"gone\"}");
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
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

/** Verifies keep-alive, timeout, socket loss, DISCONNECT and the will, over real sockets. */
@Timeout(60)
class MqttLivenessIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
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

  /** The will {@link #device} carries, as {@code sessions.closed} shows it. */
  private static JsonObject willOf(String id, int qos, boolean retain, long delaySeconds) {
    String payload = "{\"gone\":\"" + id + "\"}";
    return new JsonObject()
        .put("topic", "wills/" + id)
        .put("payload", new JsonObject().put("gone", id))
        .put("payloadBase64", java.util.Base64.getEncoder().encodeToString(payload.getBytes()))
        .put("qos", qos)
        .put("retain", retain)
        .put("delayIntervalSeconds", delaySeconds);
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
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
        TimeUnit.MILLISECONDS.sleep(
            500); // the device's own heartbeat period, not a wait for the broker
      }

      // then its session is still open
      assertThat(mqtt.fixture.table.admin().get("pinger").await(5, TimeUnit.SECONDS)).isNotNull();
      device.send(RawMqtt.DISCONNECT_NORMAL);
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "pinger").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsTheSessionWithTimeoutAfterOneAndAHalfKeepAlivesAndPublishesTheWill()
      throws Exception {
    // given a subscriber to the wills, and an MQTT 3.1.1 device with keep-alive 1 s and a will
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    RawMqtt device = mqtt.raw();
    device.connect(device("sleepy", 1));
    mqtt.fixture.await(Addresses.OPENED, "sleepy");

    // when the device stays silent
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "sleepy");

    // then the table evicts it with TIMEOUT, never before 1.5 s after its last packet (the event
    // contract
    // bounds the lateness), carrying the will, which goes out to the subscriber
    assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
    assertThat(closed.getLong("timeoutMs")).isEqualTo(1500L);
    assertThat(closed.getLong("at") - closed.getLong("lastSeenAt")).isGreaterThanOrEqualTo(1500L);
    assertThat(closed.getJsonObject("will")).isEqualTo(willOf("sleepy", 1, false, 0));
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/sleepy {\"gone\":\"sleepy\"}");
    // and an MQTT 3.1.1 client, which has no DISCONNECT from the server, sees only the connection
    // close
    assertThat(device.bytesUntilClosed()).isEmpty();
  }

  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void socketLossWithoutDisconnectEndsWithConnectionLostAndPublishesTheWill() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/+");
    // given a connected MQTT 3.1.1 device with a will at QoS 0 with the retain flag
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = device("unplugged", 30);
    connect.willQos = 0;
    connect.willRetain = true;
    device.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "unplugged");

    // when its socket goes away without DISCONNECT
    device.close();

    // then the close carries the will as the CONNECT gave it, and the will goes out to the
    // subscriber
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "unplugged");
    assertThat(closed.getString("reason")).isEqualTo("CONNECTION_LOST");
    assertThat(closed.getJsonObject("will")).isEqualTo(willOf("unplugged", 0, true, 0));
    assertThat(wills.poll(5, TimeUnit.SECONDS))
        .isEqualTo("wills/unplugged {\"gone\":\"unplugged\"}");
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
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
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void mqtt5DisconnectWithReason0x04PublishesTheWill() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given an MQTT 5 device with a will at QoS 1
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = device("dramatic", 30);
    connect.level = 5;
    device.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "dramatic");

    // when it disconnects with reason 0x04, Disconnect with Will Message
    device.send(RawMqtt.DISCONNECT_WITH_WILL);

    // then the close is the client's and carries the will, which goes out to the subscriber
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "dramatic");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    assertThat(closed.getJsonObject("will")).isEqualTo(willOf("dramatic", 1, false, 0));
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/dramatic {\"gone\":\"dramatic\"}");
  }

  /**
   * An MQTT 5 device whose will waits {@code delaySeconds} and whose session outlives the
   * connection.
   */
  private static RawMqtt.Connect delayedWill(String id, long delaySeconds) {
    RawMqtt.Connect connect = device(id, 30);
    connect.level = 5;
    connect.willDelaySeconds = delaySeconds;
    connect.sessionExpirySeconds = 60;
    return connect;
  }

  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void willDelayIntervalHoldsTheWillAndAReconnectionInTimeCancelsIt() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given an MQTT 5 device whose will waits 2 s and whose session outlives the connection
    RawMqtt.Connect connect = delayedWill("flaky", 2);
    RawMqtt first = mqtt.raw();
    first.connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "flaky");

    // when its socket drops and it comes back, resuming its session, within the delay
    first.close();
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "flaky");
    assertThat(closed.getString("reason")).isEqualTo("CONNECTION_LOST");
    assertThat(closed.getJsonObject("will")).isEqualTo(willOf("flaky", 1, false, 2));
    connect.clean = false;
    mqtt.raw().connect(connect);
    mqtt.fixture.await(Addresses.OPENED, "flaky");

    // then its will is never published. The barrier: a second device with the same will delay drops
    // only now, so its will is due after the first device's would have been (each waits on a timer
    // of its own connection's event loop, due 2 s after its drop); the subscriber's first message
    // must be the second device's will.
    RawMqtt control = mqtt.raw();
    control.connect(delayedWill("flaky-control", 2));
    mqtt.fixture.await(Addresses.OPENED, "flaky-control");
    control.close();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "flaky-control").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
    assertThat(wills.poll(10, TimeUnit.SECONDS))
        .isEqualTo("wills/flaky-control {\"gone\":\"flaky-control\"}");
  }

  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
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
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "gone").getJsonObject("will"))
        .isEqualTo(willOf("gone", 1, false, 1));

    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/gone {\"gone\":\"gone\"}");
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt))
        .isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies takeover by the same device id: MQTT → MQTT, another transport (a TCP-like session
 * opened on the table directly) → MQTT, and MQTT → another transport, with the right reason on both
 * sides.
 */
@Timeout(60)
class MqttTakeoverIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  private static RawMqtt.Connect mqtt5(String id) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = 5;
    connect.clientId = id;
    connect.willTopic = "wills/" + id;
    connect.willPayload = "lost";
    return connect;
  }

  /** Opens a session as the TCP transport would, recording the reason its connection is told. */
  private Session openTcp(String deviceId, BlockingQueue<CloseReason> told) throws Exception {
    OpenRequest request =
        new OpenRequest(
            deviceId,
            "tcp",
            "127.0.0.1:40000",
            30_000,
            null,
            (session, reason) -> told.add(reason));
    return mqtt.fixture.table.open(request).await(5, TimeUnit.SECONDS);
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void aNewerMqttConnectionTakesOverAndTheOldMqtt5ClientGetsDisconnect0x8E() throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given an MQTT 5 device connected with a will
    RawMqtt old = mqtt.raw();
    RawMqtt newer = mqtt.raw();
    old.connect(mqtt5("twin"));
    JsonObject first = mqtt.fixture.await(Addresses.OPENED, "twin");

    // when the same client id connects again
    assertThat(newer.connect(mqtt5("twin")).body()[1]).isEqualTo((byte) 0);

    // then the old connection gets DISCONNECT 0x8E Session taken over and is closed
    RawMqtt.Packet disconnect = old.read();
    assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
    assertThat(disconnect.body()[0]).isEqualTo((byte) 0x8E);
    assertThat(old.bytesUntilClosed()).isEmpty();
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "twin");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(closed.getString("sessionId")).isEqualTo(first.getString("sessionId"));
    JsonObject second = mqtt.fixture.await(Addresses.OPENED, "twin");
    assertThat(second.getLong("epoch")).isGreaterThan(first.getLong("epoch"));
    // and the old connection's will goes out ([MQTT-3.1.2-8]: closed without DISCONNECT, no will
    // delay)
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/twin lost");
    assertThat(
            mqtt.fixture
                .table
                .admin()
                .get("twin")
                .await(5, TimeUnit.SECONDS)
                .getString("sessionId"))
        .isEqualTo(second.getString("sessionId"));
  }

  @Test
  @ExpectCloses({CloseReason.TAKEN_OVER, CloseReason.CLIENT_CLOSED})
  void aPaho311ClientIsTakenOverByAnotherPaho311Client() throws Exception {
    MqttClient first = mqtt.paho3("paho-twin", 30);
    mqtt.fixture.await(Addresses.OPENED, "paho-twin");

    MqttClient second = mqtt.paho3("paho-twin", 30);

    assertThat(mqtt.fixture.await(Addresses.CLOSED, "paho-twin").getString("reason"))
        .isEqualTo("TAKEN_OVER");
    mqtt.fixture.await(Addresses.OPENED, "paho-twin");
    assertThat(second.isConnected()).isTrue();
    // the close event goes out before the old connection is closed: wait until Paho has seen it
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !first.isConnected());
    first.close(true);
    second.disconnect();
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void anMqttConnectionTakesOverASessionOfAnotherTransport() throws Exception {
    // given a device with a TCP session
    BlockingQueue<CloseReason> told = new LinkedBlockingQueue<>();
    openTcp("roamer", told);
    mqtt.fixture.await(Addresses.OPENED, "roamer");

    // when it connects over MQTT
    mqtt.raw().connect(mqtt5("roamer"));

    // then the TCP session is closed TAKEN_OVER and its transport told so; the MQTT one is open
    assertThat(told.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.TAKEN_OVER);
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "roamer");
    assertThat(closed.getString("transport")).isEqualTo("tcp");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(mqtt.fixture.await(Addresses.OPENED, "roamer").getString("transport"))
        .isEqualTo("mqtt");
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void anotherTransportTakesOverAnMqttSessionAndTheMqtt5ClientGetsDisconnect0x8E()
      throws Exception {
    // given a device connected over MQTT 5
    RawMqtt device = mqtt.raw();
    device.connect(mqtt5("mover"));
    mqtt.fixture.await(Addresses.OPENED, "mover");

    // when it opens a TCP session
    openTcp("mover", new LinkedBlockingQueue<>());

    // then the MQTT client is told 0x8E and closed, and the MQTT session closed TAKEN_OVER
    RawMqtt.Packet disconnect = device.read();
    assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
    assertThat(disconnect.body()[0]).isEqualTo((byte) 0x8E);
    assertThat(device.bytesUntilClosed()).isEmpty();
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "mover");
    assertThat(closed.getString("transport")).isEqualTo("mqtt");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
  }

  @Test
  @ExpectCloses(CloseReason.KICKED)
  void anAdministratorKickEndsTheSessionWithKickedAndMqtt5Disconnect0x98AndPublishesTheWill()
      throws Exception {
    BlockingQueue<String> wills = mqtt.subscriber("watcher", "wills/#");
    // given an MQTT 5 device connected with a will
    RawMqtt device = mqtt.raw();
    device.connect(mqtt5("unruly"));
    mqtt.fixture.await(Addresses.OPENED, "unruly");

    // when an administrator kicks it
    assertThat(mqtt.fixture.table.admin().kick("unruly").await(5, TimeUnit.SECONDS)).isTrue();

    // then it gets DISCONNECT 0x98 Administrative action and nothing after it but the close
    RawMqtt.Packet disconnect = device.read();
    assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
    assertThat(disconnect.body()[0]).isEqualTo((byte) 0x98);
    assertThat(device.bytesUntilClosed()).isEmpty();
    // and the close is KICKED, carrying the will, which goes out to the subscriber
    // (docs/protocol.md)
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "unruly");
    assertThat(closed.getString("reason")).isEqualTo("KICKED");
    assertThat(closed.getJsonObject("will").getString("topic")).isEqualTo("wills/unruly");
    assertThat(closed.getJsonObject("will").getString("payload")).isEqualTo("lost");
    assertThat(wills.poll(5, TimeUnit.SECONDS)).isEqualTo("wills/unruly lost");
  }
}

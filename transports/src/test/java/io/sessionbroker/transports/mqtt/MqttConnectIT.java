package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies CONNECT with real clients (Paho 3.1.1 and 5) and every way a CONNECT can go wrong. */
@Timeout(60)
class MqttConnectIT {

  private static RawMqtt.Connect connect(int level, String id, int keepAlive) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = level;
    connect.clientId = id;
    connect.keepAlive = keepAlive;
    return connect;
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aPaho311ClientOpensAnMqttSessionWithTimeoutOneAndAHalfKeepAlives() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      MqttClient client = mqtt.paho3("sensor-311", 20);

      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "sensor-311");
      assertThat(opened.getString("transport")).isEqualTo("mqtt");
      assertThat(opened.getInteger("heartbeatMs")).isEqualTo(20_000);
      assertThat(opened.getInteger("timeoutMs")).isEqualTo(30_000);
      client.disconnect();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "sensor-311").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void aPaho5ClientAskingMoreThanTheMaximumKeepAliveIsToldTheServerKeepAlive() throws Exception {
    MqttOptions options = new MqttOptions("127.0.0.1", 0, 10_000, 60, 65_536);
    try (MqttHarness mqtt = new MqttHarness(options, DeviceAuth.NONE)) {
      // given a maximum keep-alive of 60 s, when an MQTT 5 client asks for 120 s
      var client =
          new org.eclipse.paho.mqttv5.client.MqttClient(
              mqtt.uri(), "sensor-5", new MemoryPersistence());
      MqttConnectionOptions connect = new MqttConnectionOptions();
      connect.setKeepAliveInterval(120);
      IMqttToken token = client.connectWithResult(connect);

      // then the CONNACK carries Server Keep Alive 60 and the table enforces 60 s × 1.5
      assertThat(token.getResponseProperties().getServerKeepAlive()).isEqualTo(60);
      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "sensor-5");
      assertThat(opened.getInteger("heartbeatMs")).isEqualTo(60_000);
      assertThat(opened.getInteger("timeoutMs")).isEqualTo(90_000);
      client.disconnect();
      client.close();
    }
  }

  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void keepAliveZeroOpensASessionWithoutTimeoutThatOutlivesASilentKeepAliveOneSession()
      throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a device with Keep Alive 0, then a device with Keep Alive 1 s, both silent from then
      // on
      RawMqtt device = mqtt.raw();
      RawMqtt.Packet connack = device.connect(connect(4, "no-keepalive", 0));
      assertThat(connack.body()[1]).isEqualTo((byte) 0);
      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "no-keepalive");
      mqtt.raw().connect(connect(4, "no-keepalive-neighbour", 1));
      mqtt.fixture.await(Addresses.OPENED, "no-keepalive-neighbour");

      // when the neighbour, silent for less time than the first device, times out
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "no-keepalive-neighbour").getString("reason"))
          .isEqualTo("TIMEOUT");

      // then the first device has neither heartbeat nor timeout (§3.1.2.10), and is still
      // connected: its
      // session open in the table (events are published in order, so a close would have come first)
      // and its
      // PINGREQ answered
      assertThat(opened.getInteger("heartbeatMs")).isZero();
      assertThat(opened.getInteger("timeoutMs")).isZero();
      assertThat(mqtt.fixture.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
      assertThat(
              mqtt.fixture
                  .table
                  .admin()
                  .get("no-keepalive")
                  .await(5, TimeUnit.SECONDS)
                  .getString("sessionId"))
          .isEqualTo(opened.getString("sessionId"));
      device.send(RawMqtt.PINGREQ);
      assertThat(device.read().type()).isEqualTo(RawMqtt.PINGRESP);
    }
  }

  @Test
  void anEmptyClientIdIsAssignedWithCleanSessionAndRejectedWithoutIn311() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt clean = mqtt.raw();
      RawMqtt persistent = mqtt.raw();
      // 3.1.1 §3.1.3.1: clean session → the server assigns an id
      assertThat(clean.connect(connect(4, "", 30)).body()[1]).isEqualTo((byte) 0);
      assertThat(mqtt.fixture.await(Addresses.OPENED, e -> true).getString("deviceId"))
          .isNotEmpty();

      // [MQTT-3.1.3-8]: no clean session → CONNACK 0x02 Identifier rejected, then close
      RawMqtt.Connect keep = connect(4, "", 30);
      keep.clean = false;
      assertThat(persistent.connect(keep).body()[1]).isEqualTo((byte) 0x02);
      assertThat(persistent.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code"))
          .isEqualTo("identifier_rejected");
    }
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void anMqtt5ClientWithoutIdGetsAnAssignedClientIdentifier() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      var client =
          new org.eclipse.paho.mqttv5.client.MqttClient(mqtt.uri(), "", new MemoryPersistence());
      IMqttToken token = client.connectWithResult(new MqttConnectionOptions());

      String assigned = token.getResponseProperties().getAssignedClientIdentifier();
      assertThat(assigned).isNotEmpty();
      assertThat(mqtt.fixture.await(Addresses.OPENED, assigned).getString("transport"))
          .isEqualTo("mqtt");
      client.disconnect();
      client.close();
    }
  }

  @Test
  void anUnknownProtocolVersionIsRefusedWithReturnCode1() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      RawMqtt.Packet connack = device.connect(connect(9, "time-traveller", 30));

      assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
      assertThat(connack.body()[1]).isEqualTo((byte) 0x01);
      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code"))
          .isEqualTo("unsupported_protocol_version");
    }
  }

  @Test
  void aConnectionThatNeverSendsConnectIsClosedAndRejected() throws Exception {
    MqttOptions options = new MqttOptions("127.0.0.1", 0, 300, 300, 65_536);
    try (MqttHarness mqtt = new MqttHarness(options, DeviceAuth.NONE)) {
      RawMqtt idle = mqtt.raw();
      assertThat(idle.closedByBroker()).isTrue();
      JsonObject rejected = mqtt.fixture.await(Addresses.REJECTED, e -> true);
      assertThat(rejected.getString("code")).isEqualTo("connect_timeout");
      assertThat(rejected.getString("transport")).isEqualTo("mqtt");
    }
  }

  @Test
  void aMalformedPacketBeforeConnectIsRejected() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      device.send(
          new byte[] {0x10, 0x03, 0x00, 0x04, 'M'}); // a CONNECT cut off inside its protocol name
      device.send(new byte[] {0x00, 0x00, 0x00}); // and garbage after it

      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code"))
          .isEqualTo("malformed_packet");
    }
  }

  @Test
  void aPacketOtherThanConnectFirstIsRejected() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      device.send(RawMqtt.PINGREQ);

      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code"))
          .isEqualTo("protocol_error");
    }
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aMalformedPacketAfterConnectEndsTheSessionWithProtocolErrorAndMqtt5Disconnect0x81()
      throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      device.connect(connect(5, "garbler", 30));
      mqtt.fixture.await(Addresses.OPENED, "garbler");

      device.send(new byte[] {0x00, 0x00}); // packet type 0 is reserved (§2.1.2)

      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x81);
      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "garbler").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondConnectEndsTheSessionWithProtocolErrorAndMqtt5Disconnect0x82() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      RawMqtt device = mqtt.raw();
      device.connect(connect(5, "eager", 30));
      mqtt.fixture.await(Addresses.OPENED, "eager");

      device.send(connect(5, "eager", 30).encode());

      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x82);
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "eager").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void whenAuthenticationIsRequiredThePasswordMustBeTheDeviceToken() throws Exception {
    DeviceAuth auth = DeviceAuth.withSecret("0123456789abcdef-secret");
    try (MqttHarness mqtt = new MqttHarness(MqttOptions.defaults().withPort(0), auth)) {
      MqttConnectOptions wrong = new MqttConnectOptions();
      wrong.setUserName("locked");
      wrong.setPassword("guess".toCharArray());
      assertThatThrownBy(() -> mqtt.paho3("locked", wrong))
          .isInstanceOfSatisfying(
              MqttException.class,
              e ->
                  assertThat(e.getReasonCode())
                      .isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED));
      assertThat(mqtt.fixture.await(Addresses.REJECTED, "locked").getString("code"))
          .isEqualTo("auth_failed");

      MqttConnectOptions right = new MqttConnectOptions();
      right.setUserName("locked");
      right.setPassword(auth.tokenFor("locked").toCharArray());
      MqttClient client = mqtt.paho3("locked", right);
      assertThat(mqtt.fixture.await(Addresses.OPENED, "locked").getString("transport"))
          .isEqualTo("mqtt");
      client.disconnect();
    }
  }

  /**
   * Connects {@code level} on a fenced node (cut off from its cluster's quorum: docs/cluster.md)
   * and returns the CONNACK code, after checking that the connection then closed and that the back
   * end got a rejection, no session.
   */
  private static int connackOnAFencedNode(int level, String deviceId) throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      // given a fenced node
      mqtt.fixture.table.fence().raise();

      // when a device connects
      RawMqtt device = mqtt.raw();
      RawMqtt.Packet connack = device.connect(connect(level, deviceId, 30));

      // then a refusing CONNACK, the close, and an unavailable rejection naming the device and the
      // cause
      assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
      assertThat(device.bytesUntilClosed()).isEmpty();
      JsonObject rejected = mqtt.fixture.await(Addresses.REJECTED, deviceId);
      assertThat(rejected.getString("code")).isEqualTo("unavailable");
      assertThat(rejected.getString("transport")).isEqualTo("mqtt");
      assertThat(rejected.getString("message")).contains("cut off");
      mqtt.fixture.settle();
      assertThat(mqtt.fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
      return connack.body()[1] & 0xFF;
    }
  }

  @Test
  void anMqtt311ConnectOnAFencedNodeIsRefusedWithReturnCode3ServerUnavailable() throws Exception {
    assertThat(connackOnAFencedNode(4, "fenced-311")).isEqualTo(0x03);
  }

  @Test
  void anMqtt5ConnectOnAFencedNodeIsRefusedWithReasonCode0x88ServerUnavailable() throws Exception {
    assertThat(connackOnAFencedNode(5, "fenced-5")).isEqualTo(0x88);
  }
}

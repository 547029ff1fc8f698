package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CONNECT with real clients (Paho 3.1.1 and 5) and every way a CONNECT can go wrong. */
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
  void aPaho311ClientOpensAnMqttSessionWithTimeoutOneAndAHalfKeepAlives() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      MqttClient client = mqtt.paho3("sensor-311", 20);

      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "sensor-311");
      assertThat(opened.getString("transport")).isEqualTo("mqtt");
      assertThat(opened.getInteger("heartbeatMs")).isEqualTo(20_000);
      assertThat(opened.getInteger("timeoutMs")).isEqualTo(30_000);
      client.disconnect();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "sensor-311").getString("reason")).isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  void aPaho5ClientAskingMoreThanTheMaximumKeepAliveIsToldTheServerKeepAlive() throws Exception {
    MqttOptions options = new MqttOptions("127.0.0.1", 0, 10_000, 60, 65_536);
    try (MqttHarness mqtt = new MqttHarness(options, DeviceAuth.NONE)) {
      // given a maximum keep-alive of 60 s, when an MQTT 5 client asks for 120 s
      var client = new org.eclipse.paho.mqttv5.client.MqttClient(mqtt.uri(), "sensor-5", new MemoryPersistence());
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
  void keepAliveZeroMeansNoDeadline() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
      RawMqtt.Packet connack = device.connect(connect(4, "no-keepalive", 0));

      assertThat(connack.body()[1]).isEqualTo((byte) 0);
      JsonObject opened = mqtt.fixture.await(Addresses.OPENED, "no-keepalive");
      assertThat(opened.getInteger("heartbeatMs")).isZero();
      assertThat(opened.getInteger("timeoutMs")).isZero();
    }
  }

  @Test
  void anEmptyClientIdIsAssignedWithCleanSessionAndRejectedWithoutIn311() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt clean = mqtt.raw(); RawMqtt persistent = mqtt.raw()) {
      // 3.1.1 §3.1.3.1: clean session → the server assigns an id
      assertThat(clean.connect(connect(4, "", 30)).body()[1]).isEqualTo((byte) 0);
      assertThat(mqtt.fixture.await(Addresses.OPENED, e -> true).getString("deviceId")).isNotEmpty();

      // [MQTT-3.1.3-8]: no clean session → CONNACK 0x02 Identifier rejected, then close
      RawMqtt.Connect keep = connect(4, "", 30);
      keep.clean = false;
      assertThat(persistent.connect(keep).body()[1]).isEqualTo((byte) 0x02);
      assertThat(persistent.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code")).isEqualTo("identifier_rejected");
    }
  }

  @Test
  void anMqtt5ClientWithoutIdGetsAnAssignedClientIdentifier() throws Exception {
    try (MqttHarness mqtt = new MqttHarness()) {
      var client = new org.eclipse.paho.mqttv5.client.MqttClient(mqtt.uri(), "", new MemoryPersistence());
      IMqttToken token = client.connectWithResult(new MqttConnectionOptions());

      String assigned = token.getResponseProperties().getAssignedClientIdentifier();
      assertThat(assigned).isNotEmpty();
      assertThat(mqtt.fixture.await(Addresses.OPENED, assigned).getString("transport")).isEqualTo("mqtt");
      client.disconnect();
      client.close();
    }
  }

  @Test
  void anUnknownProtocolVersionIsRefusedWithReturnCode1() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
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
    try (MqttHarness mqtt = new MqttHarness(options, DeviceAuth.NONE); RawMqtt idle = mqtt.raw()) {
      assertThat(idle.closedByBroker()).isTrue();
      JsonObject rejected = mqtt.fixture.await(Addresses.REJECTED, e -> true);
      assertThat(rejected.getString("code")).isEqualTo("connect_timeout");
      assertThat(rejected.getString("transport")).isEqualTo("mqtt");
    }
  }

  @Test
  void aMalformedPacketBeforeConnectIsRejected() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
      device.send(new byte[] {0x10, 0x03, 0x00, 0x04, 'M'}); // a CONNECT cut off inside its protocol name
      device.send(new byte[] {0x00, 0x00, 0x00}); // and garbage after it

      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code")).isEqualTo("malformed_packet");
    }
  }

  @Test
  void aPacketOtherThanConnectFirstIsRejected() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
      device.send(RawMqtt.PINGREQ);

      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.REJECTED, e -> true).getString("code")).isEqualTo("protocol_error");
    }
  }

  @Test
  void aMalformedPacketAfterConnectEndsTheSessionWithProtocolErrorAndMqtt5Disconnect0x81() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
      device.connect(connect(5, "garbler", 30));
      mqtt.fixture.await(Addresses.OPENED, "garbler");

      device.send(new byte[] {0x00, 0x00}); // packet type 0 is reserved (§2.1.2)

      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x81);
      assertThat(device.closedByBroker()).isTrue();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "garbler").getString("reason")).isEqualTo("PROTOCOL_ERROR");
    }
  }

  @Test
  void aSecondConnectEndsTheSessionWithProtocolError() throws Exception {
    try (MqttHarness mqtt = new MqttHarness(); RawMqtt device = mqtt.raw()) {
      device.connect(connect(5, "eager", 30));
      mqtt.fixture.await(Addresses.OPENED, "eager");

      device.send(connect(5, "eager", 30).encode());

      RawMqtt.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
      assertThat(disconnect.body()[0]).isEqualTo((byte) 0x82);
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "eager").getString("reason")).isEqualTo("PROTOCOL_ERROR");
    }
  }

  @Test
  void whenAuthenticationIsRequiredThePasswordMustBeTheDeviceToken() throws Exception {
    DeviceAuth auth = DeviceAuth.withSecret("0123456789abcdef-secret");
    try (MqttHarness mqtt = new MqttHarness(MqttOptions.defaults().withPort(0), auth)) {
      MqttConnectOptions wrong = new MqttConnectOptions();
      wrong.setUserName("locked");
      wrong.setPassword("guess".toCharArray());
      assertThatThrownBy(() -> mqtt.paho3("locked", wrong))
          .isInstanceOfSatisfying(MqttException.class,
              e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_FAILED_AUTHENTICATION));
      assertThat(mqtt.fixture.await(Addresses.REJECTED, "locked").getString("code")).isEqualTo("auth_failed");

      MqttConnectOptions right = new MqttConnectOptions();
      right.setUserName("locked");
      right.setPassword(auth.tokenFor("locked").toCharArray());
      MqttClient client = mqtt.paho3("locked", right);
      assertThat(mqtt.fixture.await(Addresses.OPENED, "locked").getString("transport")).isEqualTo("mqtt");
      client.disconnect();
    }
  }
}

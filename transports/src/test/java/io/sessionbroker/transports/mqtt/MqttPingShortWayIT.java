package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short way for PINGREQ ({@link Pings}, {@link MqttFraming}), with raw bytes on a plain socket:
 * a PINGREQ is answered wherever the TCP segments cut it, only at a packet boundary, never before
 * the CONNACK, never before CONNECT, and it still resets the keep-alive.
 */
@Timeout(30)
class MqttPingShortWayIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  private RawMqtt connected(String clientId) throws Exception {
    RawMqtt client = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = clientId;
    assertThat(client.connect(connect).type()).isEqualTo(RawMqtt.CONNACK);
    return client;
  }

  private long lastSeenAt(String clientId) throws Exception {
    return mqtt.fixture
        .table
        .admin()
        .get(clientId)
        .await(5, TimeUnit.SECONDS)
        .getLong("lastSeenAt");
  }

  /**
   * Verifies that PINGREQs glued together in one segment and one cut between two segments are each
   * answered with a PINGRESP ([MQTT-3.12.4-1]: the server MUST send a PINGRESP in response to a
   * PINGREQ) and each counted as a heartbeat.
   */
  @Test
  void pingreqsGluedAndSplitAcrossSegmentsAreEachAnswered() throws Exception {
    // given
    RawMqtt client = connected("ping-sw-split");
    long heartbeats = mqtt.transport.heartbeats();

    // when: two whole PINGREQs and the first byte of a third, then its second byte and a fourth
    client.send(new byte[] {(byte) 0xC0, 0, (byte) 0xC0, 0, (byte) 0xC0});
    client.send(new byte[] {0, (byte) 0xC0, 0});

    // then
    for (int i = 0; i < 4; i++) {
      assertThat(client.read().type()).isEqualTo(RawMqtt.PINGRESP);
    }
    assertThat(mqtt.transport.heartbeats() - heartbeats).isEqualTo(4);
  }

  /**
   * Verifies that the bytes {@code 0xC0 0x00} inside another packet are not a PINGREQ — also when a
   * segment starts with them — and that a PINGREQ glued behind that packet is answered after it:
   * only whole packets are answered (§2.1: a packet starts with its fixed header).
   */
  @Test
  void pingreqBytesInsideAPublishAreNotAPingreq() throws Exception {
    // given
    RawMqtt client = connected("ping-sw-inside");
    long heartbeats = mqtt.transport.heartbeats();
    byte[] payload = {(byte) 0xC0, 0, (byte) 0xC0, 0, (byte) 0xC0, 0};
    byte[] publish = RawMqtt.publish(0x02, "ping/inside", 7, null, payload); // QoS 1, id 7
    int cut = publish.length - payload.length;

    // when: the PUBLISH up to its payload, then the payload (a segment that starts 0xC0 0x00) and a
    // PINGREQ glued behind it
    client.send(java.util.Arrays.copyOfRange(publish, 0, cut));
    client.send(
        RawMqtt.concat(
            java.util.Arrays.copyOfRange(publish, cut, publish.length), RawMqtt.PINGREQ));

    // then: the PUBLISH is acknowledged, one PINGRESP follows, one heartbeat was counted
    RawMqtt.Packet puback = client.read();
    assertThat(puback.type()).isEqualTo(4);
    assertThat(puback.body()).startsWith(0, 7);
    assertThat(client.read().type()).isEqualTo(RawMqtt.PINGRESP);
    assertThat(mqtt.transport.heartbeats() - heartbeats).isEqualTo(1);
  }

  /**
   * Verifies that a PINGREQ sent in the same segment as the CONNECT is answered only after the
   * CONNACK ([MQTT-3.2.0-1]: the first packet the server sends is CONNACK) and counted.
   */
  @Test
  void aPingreqGluedToConnectIsAnsweredAfterTheConnack() throws Exception {
    // given
    RawMqtt client = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = "ping-sw-glued";
    long heartbeats = mqtt.transport.heartbeats();

    // when
    client.send(RawMqtt.concat(connect.encode(), RawMqtt.PINGREQ, RawMqtt.PINGREQ));

    // then
    assertThat(client.read().type()).isEqualTo(RawMqtt.CONNACK);
    assertThat(client.read().type()).isEqualTo(RawMqtt.PINGRESP);
    assertThat(client.read().type()).isEqualTo(RawMqtt.PINGRESP);
    assertThat(mqtt.transport.heartbeats() - heartbeats).isEqualTo(2);
  }

  /**
   * Verifies that a PINGREQ before CONNECT is a protocol error: no PINGRESP, the connection closed
   * and rejected ([MQTT-3.1.0-1]: the first packet sent from the client MUST be CONNECT).
   */
  @Test
  void aPingreqBeforeConnectIsAProtocolError() throws Exception {
    // given
    RawMqtt client = mqtt.raw();

    // when
    client.send(RawMqtt.PINGREQ);

    // then
    assertThat(client.bytesUntilClosed()).isEmpty();
    JsonObject rejected = mqtt.fixture.await(Addresses.REJECTED, e -> true);
    assertThat(rejected.getString("code")).isEqualTo("protocol_error");
    assertThat(mqtt.transport.heartbeats()).isZero();
  }

  /**
   * Verifies that each PINGREQ answered the short way resets the keep-alive: it moves the session's
   * {@code lastSeenAt} (§3.1.2.10: the keep-alive is reset by any control packet).
   */
  @Test
  void eachPingreqMovesLastSeenAt() throws Exception {
    // given
    RawMqtt client = connected("ping-sw-alive");
    long seen = lastSeenAt("ping-sw-alive");

    for (int i = 0; i < 3; i++) {
      mqtt.fixture.clockPast(seen); // the device's next proof of life comes later

      // when
      client.send(RawMqtt.PINGREQ);

      // then
      assertThat(client.read().type()).isEqualTo(RawMqtt.PINGRESP);
      long now = lastSeenAt("ping-sw-alive");
      assertThat(now).isGreaterThan(seen);
      seen = now;
    }
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Verifies what a client gets for a malformed packet or a protocol error at the decoding level
 * (docs/protocol.md, "What bad input gets"), with the raw bytes of each packet on a plain socket:
 * an MQTT 5 client gets one DISCONNECT with the reason code the spec names (§4.13) — or, for its
 * CONNECT, a CONNACK with it — and the connection closes within {@link #CLOSE_WITHIN_MS}; an MQTT
 * 3.1.1 client sees only the close (3.1.1 §4.8). Never a hang, never a normal answer.
 */
@Timeout(60)
class MqttMalformedPacketIT {

  /** The broker answers and closes at once; this leaves room for a loaded 2-core machine. */
  private static final int CLOSE_WITHIN_MS = 2_000;

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = new MqttHarness();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  /** One bad packet sent after a good CONNECT, and the DISCONNECT reason code it must get. */
  record Case(String name, byte[] packet, int reasonCode) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * A packet body: an {@code Integer} is one byte, a {@code String} a UTF-8 string with its
   * two-byte length (§1.5.4).
   */
  static byte[] body(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof Integer b) {
        out.write(b);
      } else {
        byte[] text = ((String) part).getBytes(StandardCharsets.UTF_8);
        out.write(text.length >> 8);
        out.write(text.length & 0xFF);
        out.writeBytes(text);
      }
    }
    return out.toByteArray();
  }

  static Stream<Case> mqtt5Violations() {
    return Stream.of(
        // [MQTT-3.10.3-2] and §2.2.1 / §2.2.2: every field inside the Remaining Length
        new Case("unsubscribeWithRemainingLength0", RawMqtt.packet(0xA2, body()), 0x81),
        new Case("unsubscribeWithoutPropertyLength", RawMqtt.packet(0xA2, body(0, 1)), 0x81),
        // [MQTT-3.10.3-2]: an UNSUBSCRIBE with no payload is a Protocol Error
        new Case("unsubscribeWithoutTopicFilter", RawMqtt.packet(0xA2, body(0, 1, 0)), 0x82),
        // §2.2.2.2: a property not valid for the packet type makes it a Malformed Packet
        new Case(
            "unsubscribeWithSessionExpiryInterval",
            RawMqtt.packet(0xA2, body(0, 1, 5, 0x11, 0, 0, 0, 10, "a")),
            0x81),
        // [MQTT-3.8.3-5]: reserved bits of the subscription options
        new Case(
            "subscribeWithReservedOptionBits",
            RawMqtt.packet(0x82, body(0, 1, 0, "a", 0xC0)),
            0x81),
        // [MQTT-3.8.3-2]: a SUBSCRIBE with no payload is a Protocol Error
        new Case("subscribeWithoutTopicFilter", RawMqtt.packet(0x82, body(0, 1, 0)), 0x82),
        // §3.8.3.1: Maximum QoS 3 is a Protocol Error
        new Case("subscribeWithQos3", RawMqtt.packet(0x82, body(0, 1, 0, "a", 3)), 0x82),
        // [MQTT-3.3.2-2]: no wildcards in a Topic Name; 0x90 Topic Name invalid
        new Case("publishToAWildcardTopic", RawMqtt.packet(0x30, body("a/#", 0, 0x78)), 0x90),
        // §3.3.2.3.4: a zero-length Topic Name without Topic Alias is a Protocol Error
        new Case("publishToAnEmptyTopic", RawMqtt.packet(0x30, body("", 0, 0x78)), 0x82),
        // §3.3.2.3.4: the CONNACK grants no Topic Alias Maximum, so any alias is invalid
        new Case(
            "publishWithATopicAlias", RawMqtt.packet(0x30, body("a", 3, 0x23, 0, 1, 0x78)), 0x94),
        // §3.3.2.3.2: a Payload Format Indicator twice is a Protocol Error
        new Case(
            "publishWithAPropertyTwice",
            RawMqtt.packet(0x30, body("a", 4, 0x01, 0, 0x01, 0, 0x78)),
            0x82),
        // [MQTT-3.3.4-6]: a client's PUBLISH carries no Subscription Identifier
        new Case(
            "publishWithASubscriptionIdentifier",
            RawMqtt.packet(0x30, body("a", 2, 0x0B, 1, 0x78)),
            0x82),
        // §2.1.2: PINGRESP flows from server to client only
        new Case("pingrespFromAClient", new byte[] {(byte) 0xD0, 0}, 0x82),
        // §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1: an acknowledgement's reason code is one of its
        // list; vertx-mqtt threw on any other (PUBCOMP 0x6D found by MqttFuzzIT)
        new Case("pubackWithAnUndefinedReasonCode", RawMqtt.packet(0x40, body(0, 1, 0x6D)), 0x81),
        new Case("pubrecWithAnUndefinedReasonCode", RawMqtt.packet(0x50, body(0, 1, 0x01)), 0x81),
        new Case("pubrelWithAPubacksReasonCode", RawMqtt.packet(0x62, body(0, 1, 0x10)), 0x81),
        new Case("pubcompWithAnUndefinedReasonCode", RawMqtt.packet(0x70, body(0, 1, 0x6D)), 0x81));
  }

  /**
   * Verifies that an acknowledgement with a reason code its list defines is taken, each list's last
   * code among them: the session goes on and answers the PINGREQ behind them.
   */
  @Test
  void acknowledgementsWithDefinedReasonCodesAreTaken() throws Exception {
    // given
    RawMqtt device = connected(5, "v5-defined-acks");

    // when: PUBACK 0x99, PUBREC 0x10, PUBREL 0x92, PUBCOMP 0x92 (each with no properties)
    device.send(
        RawMqtt.concat(
            RawMqtt.packet(0x40, body(0, 1, 0x99, 0)),
            RawMqtt.packet(0x50, body(0, 2, 0x10, 0)),
            RawMqtt.packet(0x62, body(0, 3, 0x92, 0)),
            RawMqtt.packet(0x70, body(0, 4, 0x92, 0)),
            RawMqtt.PINGREQ));

    // then: the PUBREL's PUBCOMP (§4.3.3), then the PINGRESP; no DISCONNECT
    assertThat(device.read().type()).isEqualTo(7);
    assertThat(device.read().type()).isEqualTo(RawMqtt.PINGRESP);
  }

  /**
   * Verifies that each MQTT 5 packet above gets DISCONNECT with its reason code and the close at
   * once, and ends the session with PROTOCOL_ERROR (§4.13).
   */
  @ParameterizedTest(name = "MQTT 5 {0}")
  @MethodSource("mqtt5Violations")
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void anMqtt5ViolationGetsDisconnectWithItsReasonCodeThenTheClose(Case bad) throws Exception {
    // given
    String deviceId = "v5-" + bad.name();
    RawMqtt device = connected(5, deviceId);

    // when
    device.send(bad.packet());

    // then: DISCONNECT (no properties), then the close
    assertThat(device.bytesUntilClosed()).containsExactly(0xE0, 0x02, bad.reasonCode(), 0x00);
    assertThat(closeReason(deviceId)).isEqualTo("PROTOCOL_ERROR");
  }

  static Stream<Case> mqtt311Violations() {
    return Stream.of(
        new Case("unsubscribeWithRemainingLength0", RawMqtt.packet(0xA2, body()), 0),
        // [MQTT-3.10.3-2]
        new Case("unsubscribeWithoutTopicFilter", RawMqtt.packet(0xA2, body(0, 1)), 0),
        // [MQTT-3-8.3-4]: bits 2–7 of the requested QoS byte are reserved
        new Case("subscribeWithReservedQosBits", RawMqtt.packet(0x82, body(0, 1, "a", 0x04)), 0),
        // [MQTT-3.8.3-3]
        new Case("subscribeWithoutTopicFilter", RawMqtt.packet(0x82, body(0, 1)), 0),
        // 3.1.1 §3.14: DISCONNECT has no variable header and no payload
        new Case("disconnectWithABody", RawMqtt.packet(0xE0, body(0)), 0));
  }

  /**
   * Verifies that each MQTT 3.1.1 packet above closes the connection without a packet (3.1.1 §4.8:
   * the server has no DISCONNECT) and ends the session with PROTOCOL_ERROR.
   */
  @ParameterizedTest(name = "MQTT 3.1.1 {0}")
  @MethodSource("mqtt311Violations")
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void anMqtt311ViolationClosesTheConnectionWithoutAPacket(Case bad) throws Exception {
    // given
    String deviceId = "v3-" + bad.name();
    RawMqtt device = connected(4, deviceId);

    // when
    device.send(bad.packet());

    // then
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(closeReason(deviceId)).isEqualTo("PROTOCOL_ERROR");
  }

  /** A CONNECT body: protocol name and level, flags, Keep Alive 30, then {@code rest}. */
  private static byte[] connect(int level, int flags, Object... rest) {
    Object[] head = {"MQTT", level, flags, 0, 30};
    Object[] all = new Object[head.length + rest.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(rest, 0, all, head.length, rest.length);
    return RawMqtt.packet(0x10, body(all));
  }

  static Stream<Case> mqtt5BadConnects() {
    return Stream.of(
        // will flag (QoS 1), will properties and topic, but the packet ends before the will payload
        new Case("willWithoutPayload", connect(5, 0x0E, 0, "malformed-c1", 0, "w"), 0x81),
        // [MQTT-1.5.4-1]: "(" after a lead byte is not UTF-8
        new Case("clientIdNotUtf8", connect(5, 0x02, 0, 0, 2, 0xC3, 0x28), 0x81),
        // [MQTT-3.1.2-3]: the reserved flag of the CONNECT flags must be 0
        new Case("reservedConnectFlag", connect(5, 0x03, 0, "malformed-c2"), 0x81),
        // §3.1.2.6: Will QoS 3 is a Malformed Packet
        new Case("willQos3", connect(5, 0x1E, 0, "malformed-c3", 0, "w", "p"), 0x81),
        // §2.2.2.2: Topic Alias is not a CONNECT property
        new Case("topicAliasInConnect", connect(5, 0x02, 3, 0x23, 0, 1, "malformed-c4"), 0x81),
        // §3.1.2.11.2: a Session Expiry Interval twice is a Protocol Error
        new Case(
            "sessionExpiryTwice",
            connect(5, 0x02, 10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 1, "malformed-c5"),
            0x82));
  }

  /**
   * Verifies that an MQTT 5 CONNECT the broker cannot decode gets a CONNACK with its reason code
   * and the close at once (§4.13), and is rejected without a session.
   */
  @ParameterizedTest(name = "MQTT 5 CONNECT {0}")
  @MethodSource("mqtt5BadConnects")
  void anUndecodableMqtt5ConnectGetsConnackWithItsReasonCodeThenTheClose(Case bad)
      throws Exception {
    // given
    RawMqtt device = mqtt.raw().timeout(CLOSE_WITHIN_MS);

    // when
    device.send(bad.packet());

    // then
    assertThat(device.bytesUntilClosed()).containsExactly(0x20, 0x03, 0x00, bad.reasonCode(), 0x00);
    assertRejectedWithoutSession(bad.reasonCode() == 0x82 ? "protocol_error" : "malformed_packet");
  }

  /**
   * Verifies that an MQTT 3.1.1 CONNECT whose will flag promises a will the packet does not hold is
   * refused with a close at once (3.1.1 §4.8), not waited on until the connect timeout.
   */
  @Test
  void anMqtt311ConnectWithAWillFlagButNoWillIsClosedAtOnce() throws Exception {
    // given
    RawMqtt device = mqtt.raw().timeout(CLOSE_WITHIN_MS);

    // when
    device.send(connect(4, 0x0E, "malformed-c6", "w"));

    // then
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertRejectedWithoutSession("malformed_packet");
  }

  private RawMqtt connected(int level, String deviceId) throws Exception {
    RawMqtt device = mqtt.raw();
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = level;
    connect.clientId = deviceId;
    RawMqtt.Packet connack = device.connect(connect);
    assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
    assertThat(connack.body()[1]).as("CONNACK code").isZero();
    mqtt.fixture.await(Addresses.OPENED, deviceId);
    return device.timeout(CLOSE_WITHIN_MS);
  }

  private String closeReason(String deviceId) throws InterruptedException {
    return mqtt.fixture.await(Addresses.CLOSED, deviceId).getString("reason");
  }

  private void assertRejectedWithoutSession(String code) throws Exception {
    JsonObject rejected = mqtt.fixture.await(Addresses.REJECTED, e -> true);
    assertThat(rejected.getString("code")).isEqualTo(code);
    mqtt.fixture.settle();
    assertThat(mqtt.fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
  }
}

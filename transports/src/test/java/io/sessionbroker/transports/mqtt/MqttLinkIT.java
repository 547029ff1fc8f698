package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.ClassHistogram;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An MQTT connection's liveness and close paths ({@link MqttLink}), with raw packets on a plain
 * socket: a control packet moves the session's {@code lastSeenAt}; DISCONNECT, a lost socket and a
 * kick each end it with their own reason, DISCONNECT packet and will.
 */
@Timeout(30)
class MqttLinkIT {

  private static final int CONNACK = 0x20;

  private static final int PINGRESP = 0xD0;
  private static final int DISCONNECT = 0xE0;

  private final List<RawMqtt> clients = new ArrayList<>();
  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
  }

  /**
   * Closes the clients' sockets only after the table has shut down, so no close lands in a test's
   * body.
   */
  @AfterEach
  void stop() throws Exception {
    try {
      mqtt.close();
    } finally {
      for (RawMqtt client : clients) {
        client.close();
      }
    }
  }

  /** Connects a raw client; {@code will} null for none. */
  private RawMqtt connect(String clientId, int level, String willTopic) throws Exception {
    RawMqtt client = mqtt.raw();
    clients.add(client);
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = clientId;
    connect.level = level;
    connect.willTopic = willTopic;
    connect.willPayload = willTopic == null ? null : "gone";
    assertThat(client.connect(connect).header() & 0xF0).isEqualTo(CONNACK);
    return client;
  }

  /** A CONNECT's bytes, clean, no will. */
  private static byte[] connectBytes(String clientId, int level) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = clientId;
    connect.level = level;
    return connect.encode();
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
   * Verifies that open sessions of clients that neither subscribe nor publish at QoS 2 keep no set
   * of their own for QoS 2 packet ids, nor a subscription map (issue 17: 120 bytes of every MQTT
   * session). Counted in this JVM's class histogram with 50 sessions open.
   */
  @Test
  void openSessionsThatNeverSubscribeKeepNoMapsOfTheirOwn() throws Exception {
    // given
    long setsBefore = ClassHistogram.instances("java.util.HashSet");
    int sessions = 50;

    // when 50 clients connect and prove themselves alive
    for (int i = 0; i < sessions; i++) {
      RawMqtt client = connect("mqtt-pit-footprint-" + i, 4, null);
      client.send(RawMqtt.PINGREQ);
      assertThat(client.read().header()).isEqualTo(PINGRESP);
    }

    // then fewer sets live than sessions opened
    assertThat(ClassHistogram.instances("java.util.HashSet") - setsBefore).isLessThan(sessions);
  }

  /**
   * Verifies that open MQTT sessions share their event loop's packet decoder, and that the
   * transport's own objects of a session stay small (issue 17: Netty's decoder in each pipeline,
   * with the handler behind it, was ≈ 340 bytes of every MQTT session; a lambda for each of the
   * pub/sub side's callbacks and the framing's list of its own, ≈ 110 more). Counted in this JVM's
   * class histogram with 50 sessions open, each of which has had a PUBLISH decoded.
   */
  @Test
  void openSessionsShareTheirLoopsDecoder() throws Exception {
    // given
    String decoder = "io.netty.handler.codec.mqtt.MqttDecoder";
    String transport = MqttLink.class.getPackageName() + ".";
    long decodersBefore = ClassHistogram.instances(decoder);
    long bytesBefore = ClassHistogram.bytesOfClassesStartingWith(transport);
    int sessions = 50;

    // when 50 clients connect, publish and prove themselves alive
    for (int i = 0; i < sessions; i++) {
      RawMqtt client = connect("mqtt-pit-decoder-" + i, 4, null);
      client.send(RawMqtt.publish(0, "t/decoder", 0, null, new byte[] {1}));
      client.send(RawMqtt.PINGREQ);
      assertThat(client.read().header()).isEqualTo(PINGRESP); // read after the PUBLISH
    }

    // then at most one decoder per event loop, and under 600 bytes of the transport's objects a
    // session (585 in this harness when written; 704 with a decoder per connection)
    long decoders = ClassHistogram.instances(decoder) - decodersBefore;
    long bytesPerSession =
        (ClassHistogram.bytesOfClassesStartingWith(transport) - bytesBefore) / sessions;
    assertThat(decoders).isLessThan(sessions);
    assertThat(bytesPerSession).isLessThan(600);
  }

  /**
   * Verifies that a PINGREQ is proof of life (it moves lastSeenAt) and is answered with a PINGRESP.
   */
  @Test
  void aPingreqMovesLastSeenAtAndIsAnswered() throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-ping", 4, null);
    long before = lastSeenAt("mqtt-pit-ping");
    mqtt.fixture.clockPast(before); // the device's next proof of life comes later

    // when
    client.send(RawMqtt.PINGREQ);

    // then: the table is touched before the packet goes on to be answered
    assertThat(client.read().header()).isEqualTo(PINGRESP);
    assertThat(lastSeenAt("mqtt-pit-ping")).isGreaterThan(before);
  }

  /**
   * Verifies that a DISCONNECT ends the session as CLIENT_CLOSED and discards the will from the
   * close event.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void disconnectEndsAsClientClosedWithoutTheWill() throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-bye", 4, "w/mqtt-pit-bye");

    // when
    client.send(RawMqtt.DISCONNECT_NORMAL);

    // then
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "mqtt-pit-bye");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    assertThat(closed.containsKey("will")).isFalse();
    assertThat(client.closedByBroker()).isTrue();
  }

  /**
   * Verifies that an MQTT 5 DISCONNECT with reason 0x04 ends as CLIENT_CLOSED and keeps the will.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void disconnectWithWillMessageKeepsTheWill() throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-keepwill", 5, "w/mqtt-pit-keepwill");

    // when
    client.send(RawMqtt.DISCONNECT_WITH_WILL);

    // then
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "mqtt-pit-keepwill");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    JsonObject will = closed.getJsonObject("will");
    assertThat(will.getString("topic")).isEqualTo("w/mqtt-pit-keepwill");
    assertThat(will.getString("payloadBase64"))
        .isEqualTo(
            java.util.Base64.getEncoder()
                .encodeToString("gone".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /**
   * Verifies that a lost socket ends the session as CONNECTION_LOST and publishes the will to
   * subscribers.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aLostSocketEndsAsConnectionLostAndPublishesTheWill() throws Exception {
    // given
    BlockingQueue<String> received = mqtt.subscriber("mqtt-pit-watcher", "w/mqtt-pit-lost");
    RawMqtt client = connect("mqtt-pit-lost", 4, "w/mqtt-pit-lost");

    // when
    client.close();

    // then
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "mqtt-pit-lost").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("w/mqtt-pit-lost gone");
  }

  /**
   * Verifies that a kicked MQTT 5 client gets DISCONNECT 0x98 (administrative action), then the
   * socket closes.
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickedMqtt5ClientGetsDisconnectAdministrativeAction() throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-kick", 5, null);

    // when
    assertThat(mqtt.fixture.table.admin().kick("mqtt-pit-kick").await(5, TimeUnit.SECONDS))
        .isTrue();

    // then
    RawMqtt.Packet disconnect = client.read();
    assertThat(disconnect.header()).isEqualTo(DISCONNECT);
    assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x98);
    assertThat(client.closedByBroker()).isTrue();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "mqtt-pit-kick").getString("reason"))
        .isEqualTo("KICKED");
  }

  /**
   * Verifies that a connection closed before its CONNECT is reported as a rejection and opens
   * nothing.
   */
  @Test
  void aConnectionClosedBeforeConnectIsRejected() throws Exception {
    // given
    RawMqtt client = mqtt.raw();

    // when
    client.close();

    // then
    JsonObject rejected =
        mqtt.fixture.await(Addresses.REJECTED, e -> "mqtt".equals(e.getString("transport")));
    assertThat(rejected.getString("code")).isEqualTo("closed_before_connect");
    mqtt.fixture.settle();
    assertThat(mqtt.fixture.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
  }

  /**
   * Verifies that a second CONNECT is a protocol violation ([MQTT-3.1.0-2]): the session ends with
   * PROTOCOL_ERROR, and an MQTT 5 client gets DISCONNECT 0x82 in MQTT 5's form although the second
   * CONNECT was 3.1.1's (Netty's codec once switched to the second CONNECT's level: MqttFuzzIT).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondConnectOfAnotherLevelEndsAnMqtt5SessionWithDisconnectProtocolError()
      throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-twice-5", 5, null);

    // when
    client.send(connectBytes("mqtt-pit-twice-5", 4));

    // then
    assertEndsWithDisconnectProtocolError(client, "mqtt-pit-twice-5");
  }

  /**
   * Verifies that an MQTT 3.1.1 client's second CONNECT, of MQTT 5, ends its session with
   * PROTOCOL_ERROR and a plain close: 3.1.1 has no DISCONNECT from the server.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondConnectOfMqtt5EndsAn311SessionWithAPlainClose() throws Exception {
    // given
    RawMqtt client = connect("mqtt-pit-twice-4", 4, null);

    // when
    client.send(connectBytes("mqtt-pit-twice-4", 5));

    // then
    assertThat(client.bytesUntilClosed()).isEmpty();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "mqtt-pit-twice-4").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a second CONNECT in the same write as the first leaves the first one's CONNACK in
   * the first one's form: MQTT 5's, with its properties, then DISCONNECT 0x82.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondConnectRightBehindTheFirstLeavesItsConnackInTheFirstOnesForm() throws Exception {
    // given
    RawMqtt client = mqtt.raw();
    clients.add(client);

    // when
    client.send(
        RawMqtt.concat(
            connectBytes("mqtt-pit-twice-at-once", 5), connectBytes("mqtt-pit-twice-at-once", 4)));

    // then: an MQTT 5 CONNACK (flags, reason code, properties: 3 bytes or more; 3.1.1's has 2)
    RawMqtt.Packet connack = client.read();
    assertThat(connack.header()).isEqualTo(CONNACK);
    assertThat(connack.body().length).isGreaterThanOrEqualTo(3);
    assertEndsWithDisconnectProtocolError(client, "mqtt-pit-twice-at-once");
  }

  /**
   * The client's next packet is DISCONNECT with Remaining Length 1 or more and reason code 0x82,
   * Protocol Error (§3.14.2.1); then the connection closes and {@code deviceId}'s session ends with
   * PROTOCOL_ERROR.
   */
  private void assertEndsWithDisconnectProtocolError(RawMqtt client, String deviceId)
      throws Exception {
    RawMqtt.Packet disconnect = client.read();
    assertThat(disconnect.header()).isEqualTo(DISCONNECT);
    assertThat(disconnect.body()).isNotEmpty();
    assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x82);
    assertThat(client.bytesUntilClosed()).isEmpty();
    assertThat(mqtt.fixture.await(Addresses.CLOSED, deviceId).getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a CONNECT the table cannot open (a fenced node) gets CONNACK 0x03, server
   * unavailable.
   */
  @Test
  void aConnectTheTableCannotOpenGetsServerUnavailable() throws Exception {
    // given
    mqtt.fixture.table.fence().raise();
    RawMqtt client = mqtt.raw();
    clients.add(client);
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.clientId = "mqtt-pit-fenced";

    // when
    RawMqtt.Packet connack = client.connect(connect);

    // then: 3.1.1 CONNACK: flags, then the return code
    assertThat(connack.header() & 0xF0).isEqualTo(CONNACK);
    assertThat(connack.body()[1] & 0xFF).isEqualTo(0x03);
    assertThat(mqtt.fixture.await(Addresses.REJECTED, "mqtt-pit-fenced").getString("code"))
        .isEqualTo("unavailable");
  }
}

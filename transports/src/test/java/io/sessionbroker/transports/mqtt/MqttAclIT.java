package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies MQTT authorization with real clients (Paho 3.1.1 and 5, mosquitto_sub, raw bytes where a
 * client hides the reason code): each client's own tree by default, what an ACL file adds, its
 * reload, administrative users, and the reason codes of each refusal.
 */
@Timeout(60)
class MqttAclIT {

  private static final Path MOSQUITTO_SUB = Path.of("/usr/bin/mosquitto_sub");

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static MqttHarness harness(AclOptions acl) throws Exception {
    return new MqttHarness(MqttOptions.defaults().withPort(0), DeviceAuth.NONE, null, acl);
  }

  /** A connected Paho MQTT 5 client, with {@code user} as user name when not null. */
  private static org.eclipse.paho.mqttv5.client.MqttAsyncClient paho5(
      MqttHarness mqtt, String clientId, String user) throws Exception {
    var client =
        new org.eclipse.paho.mqttv5.client.MqttAsyncClient(
            mqtt.uri(), clientId, new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    if (user != null) {
      options.setUserName(user);
    }
    client.connect(options).waitForCompletion(10_000);
    return client;
  }

  /** The MQTT 5 SUBACK reason codes for {@code filters}, subscribed at QoS 1. */
  private static int[] subscribe5(
      org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String... filters) throws Exception {
    MqttSubscription[] subscriptions = new MqttSubscription[filters.length];
    for (int i = 0; i < filters.length; i++) {
      subscriptions[i] = new MqttSubscription(filters[i], 1);
    }
    IMqttToken token = client.subscribe(subscriptions);
    token.waitForCompletion(10_000);
    return token.getReasonCodes();
  }

  /**
   * Verifies that an MQTT 5 SUBSCRIBE gets 0x87 Not authorized for each filter outside the client's
   * tree and its granted QoS for the others (MQTT 5 §3.9.3: one reason code per filter,
   * [MQTT-3.9.3-1]), and that the allowed subscription works.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void mqtt5SubscribeGetsNotAuthorizedForEachForbiddenFilterOnly() throws Exception {
    try (MqttHarness mqtt = harness(AclOptions.NONE)) {
      // given an MQTT 5 client
      var client = paho5(mqtt, "acl-sub5", null);
      BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
      client.setCallback(new Collector(received));

      // when it subscribes to its own tree, to another device's topic and to everything
      int[] codes =
          subscribe5(
              client, "devices/acl-sub5/#", "devices/+/temp", "#", "commands/acl-sub5/req/#");

      // then only the two filters within its tree are granted
      assertThat(codes).containsExactly(1, 0x87, 0x87, 1);
      assertThat(mqtt.transport.denials().get(AclDenials.Action.SUBSCRIBE)).isEqualTo(2);
      // and what it publishes to its own tree comes back to it
      client.publish("devices/acl-sub5/temp", utf8("21"), 1, false).waitForCompletion(10_000);
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("devices/acl-sub5/temp 21");
    }
  }

  /**
   * Verifies that an MQTT 3.1.1 SUBSCRIBE gets 0x80 Failure for a forbidden filter and its QoS for
   * an allowed one in the same packet (3.1.1 §3.9.3).
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void mqtt311SubscribeGetsFailureForTheForbiddenFilterOnly() throws Exception {
    try (MqttHarness mqtt = harness(AclOptions.NONE)) {
      // given an MQTT 3.1.1 client
      MqttAsyncClient client = new MqttAsyncClient(mqtt.uri(), "acl-sub3", new MemoryPersistence());
      MqttConnectOptions options = new MqttConnectOptions();
      options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      client.connect(options).waitForCompletion(10_000);

      // when it subscribes to its tree and to another device's
      var token =
          client.subscribe(
              new String[] {"devices/acl-sub3/#", "devices/other/#"}, new int[] {1, 1});
      token.waitForCompletion(10_000);

      // then
      assertThat(token.getGrantedQos()).containsExactly(1, 0x80);
    }
  }

  /**
   * Verifies that an MQTT 5 QoS 1 PUBLISH to another device's topic is answered with PUBACK 0x87
   * (MQTT 5 §3.4.2.1), reaches no subscriber and no {@code devices.inbound}, is counted, and leaves
   * the connection open; a publish to its own tree right after goes through.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void mqtt5PublishOutsideItsTreeGetsPubAckNotAuthorizedAndReachesNoOne() throws Exception {
    AclOptions acl = new AclOptions(null, Set.of("watcher"), 0);
    try (MqttHarness mqtt = harness(acl)) {
      // given an administrative watcher of every topic, and an MQTT 5 device
      var watcher = paho5(mqtt, "acl-watcher", "watcher");
      BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
      watcher.setCallback(new Collector(seen));
      assertThat(subscribe5(watcher, "#")).containsExactly(1);
      var device = paho5(mqtt, "acl-pub5", null);

      // when the device publishes to another device's tree, then to its own
      var denied = device.publish("devices/someone-else/cmd", utf8("x"), 1, false);
      denied.waitForCompletion(10_000);
      device.publish("devices/acl-pub5/temp", utf8("22"), 1, false).waitForCompletion(10_000);

      // then the first is refused with 0x87, the watcher sees only the second
      assertThat(denied.getReasonCodes()).containsExactly(0x87);
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("devices/acl-pub5/temp 22");
      assertThat(mqtt.fixture.await(Addresses.INBOUND, "acl-pub5").getString("topic"))
          .isEqualTo("devices/acl-pub5/temp");
      assertThat(mqtt.transport.denials().get(AclDenials.Action.PUBLISH)).isEqualTo(1);
      assertThat(device.isConnected()).isTrue();
    }
  }

  /**
   * Verifies that an MQTT 5 QoS 2 PUBLISH outside the tree gets PUBREC 0x87 (MQTT 5 §3.5.2.1), seen
   * in the raw bytes: Paho 5 ends its connection on such a PUBREC, which hides the code.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void mqtt5QoS2PublishOutsideItsTreeGetsPubRecNotAuthorized() throws Exception {
    try (MqttHarness mqtt = harness(AclOptions.NONE)) {
      // given a raw MQTT 5 device
      RawMqtt device = mqtt.raw();
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.level = 5;
      connect.clientId = "acl-qos2";
      assertThat(device.connect(connect).body()[1]).isZero();

      // when it publishes at QoS 2 to a topic outside its tree
      device.send(RawMqtt.publish(0x04, "other/topic", 7, new byte[] {0}, utf8("x")));

      // then PUBREC (type 5) for packet 7 with reason 0x87
      RawMqtt.Packet pubrec = device.read();
      assertThat(pubrec.type()).isEqualTo(5);
      assertThat(pubrec.body()).startsWith(0, 7, 0x87);
      // and the connection stays usable
      device.send(RawMqtt.PINGREQ);
      assertThat(device.read().type()).isEqualTo(RawMqtt.PINGRESP);
    }
  }

  /**
   * Verifies that an MQTT 3.1.1 QoS 1 PUBLISH outside the tree is acknowledged as usual but not
   * delivered: 3.1.1 has no way to say no, and [MQTT-3.3.5-2] requires "either a positive
   * acknowledgement, according to the normal QoS rules, or close the Network Connection".
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void mqtt311PublishOutsideItsTreeIsAcknowledgedAndDropped() throws Exception {
    AclOptions acl = new AclOptions(null, Set.of("watcher"), 0);
    try (MqttHarness mqtt = harness(acl)) {
      // given an administrative watcher of every topic and a 3.1.1 device
      var watcher = paho5(mqtt, "acl-watcher3", "watcher");
      BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
      watcher.setCallback(new Collector(seen));
      subscribe5(watcher, "#");
      MqttClient device = mqtt.paho3("acl-pub3", 30);

      // when it publishes at QoS 1 outside its tree (the call returns once PUBACK came), then
      // inside
      device.publish("sensors/9/temp", utf8("1"), 1, false);
      device.publish("devices/acl-pub3/temp", utf8("2"), 1, false);

      // then only the second reaches the watcher, and the device is still connected
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("devices/acl-pub3/temp 2");
      assertThat(device.isConnected()).isTrue();
      assertThat(mqtt.transport.denials().get(AclDenials.Action.PUBLISH)).isEqualTo(1);
    }
  }

  /**
   * Verifies that a will whose topic the client may not publish to refuses the CONNECT: MQTT 5
   * CONNACK 0x87 Not authorized (§3.2.2.2), MQTT 3.1.1 CONNACK 0x05 not authorized (§3.2.2.3), and
   * a {@code sessions.rejected} with code {@code not_authorized}; a will in its own tree is fine.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void aWillOutsideTheTreeRefusesTheConnect() throws Exception {
    try (MqttHarness mqtt = harness(AclOptions.NONE)) {
      // when an MQTT 5 client's will names another device's topic
      var client5 =
          new org.eclipse.paho.mqttv5.client.MqttClient(
              mqtt.uri(),
              "acl-will5",
              new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      MqttConnectionOptions options5 = new MqttConnectionOptions();
      options5.setWill("devices/victim/status", new MqttMessage(utf8("gone")));

      // then CONNACK 0x87
      assertThatThrownBy(() -> client5.connect(options5))
          .isInstanceOfSatisfying(
              org.eclipse.paho.mqttv5.common.MqttException.class,
              e -> assertThat(e.getReasonCode()).isEqualTo(0x87));
      assertThat(mqtt.fixture.await(Addresses.REJECTED, "acl-will5").getString("code"))
          .isEqualTo("not_authorized");

      // and for MQTT 3.1.1, CONNACK 5
      MqttClient client3 = new MqttClient(mqtt.uri(), "acl-will3", new MemoryPersistence());
      MqttConnectOptions options3 = new MqttConnectOptions();
      options3.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      options3.setWill("wills/acl-will3", utf8("gone"), 1, false);
      assertThatThrownBy(() -> client3.connect(options3))
          .isInstanceOfSatisfying(
              MqttException.class,
              e ->
                  assertThat(e.getReasonCode())
                      .isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED));
      assertThat(mqtt.transport.denials().get(AclDenials.Action.WILL)).isEqualTo(2);

      // while a will in the client's own tree is accepted
      options3.setWill("devices/acl-will3/status", utf8("gone"), 1, false);
      client3.connect(options3);
      mqtt.fixture.await(Addresses.OPENED, "acl-will3");
    }
  }

  /**
   * Verifies that an ACL file adds general and per-user rights, and that a changed file applies to
   * connected clients without a restart: a subscription allowed by the new file is granted, and one
   * the new file no longer allows stops receiving.
   */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void theAclFileGrantsMoreAndAChangeAppliesWithoutARestart() throws Exception {
    AclOptions file =
        MqttHarness.aclFile(
            "topic read news/#", "user dashboard", "topic read devices/+/telemetry");
    AclOptions acl = new AclOptions(file.aclFile(), Set.of("editor"), file.reloadCheckMs());
    try (MqttHarness mqtt = harness(acl)) {
      // given a client without a user name and one with user name "dashboard"
      var plain = paho5(mqtt, "acl-file-plain", null);
      var dashboard = paho5(mqtt, "acl-file-dash", "dashboard");
      BlockingQueue<String> news = new java.util.concurrent.LinkedBlockingQueue<>();
      plain.setCallback(new Collector(news));

      // then the general line is for both, the user section for the dashboard only
      assertThat(subscribe5(plain, "news/#", "devices/+/telemetry", "fleet/#"))
          .containsExactly(1, 0x87, 0x87);
      assertThat(subscribe5(dashboard, "devices/+/telemetry", "devices/+/+"))
          .containsExactly(1, 0x87);

      // when the file is replaced by one that allows fleet/# and no longer news/#
      Path replacement = Files.createTempFile(acl.aclFile().getParent(), "acl", ".new");
      Files.writeString(replacement, "topic readwrite fleet/#\n");
      Files.move(replacement, acl.aclFile(), StandardCopyOption.ATOMIC_MOVE);

      // then within a few checks fleet/# is granted
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> subscribe5(plain, "fleet/#")[0] == 1);
      // and news/# no longer delivers, although the subscription stands: a fleet publish after a
      // news publish arrives first
      var editor = paho5(mqtt, "acl-file-editor", "editor");
      editor.publish("news/1", utf8("n"), 1, false).waitForCompletion(10_000);
      editor.publish("fleet/1", utf8("f"), 1, false).waitForCompletion(10_000);
      assertThat(news.poll(10, TimeUnit.SECONDS)).isEqualTo("fleet/1 f");
      assertThat(mqtt.transport.denials().get(AclDenials.Action.PUBLISH)).isZero();
    }
  }

  /** Verifies that an administrative user may subscribe to and publish on every topic. */
  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void anAdministrativeUserMayUseEveryTopic() throws Exception {
    try (MqttHarness mqtt = harness(new AclOptions(null, Set.of("ops"), 0))) {
      var ops = paho5(mqtt, "acl-ops", "ops");
      var other = paho5(mqtt, "acl-not-ops", "someone");

      assertThat(subscribe5(ops, "#", "$SYS/#")).containsExactly(1, 1);
      assertThat(subscribe5(other, "#")).containsExactly(0x87);
      var published = ops.publish("devices/any/cmd", utf8("x"), 1, false);
      published.waitForCompletion(10_000);
      assertThat(published.getReasonCodes()).containsExactly(0);
    }
  }

  /**
   * Verifies with mosquitto_sub that a refused subscription is reported to a real command-line
   * client: it prints that the subscription was denied and disconnects.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void mosquittoSubIsToldItsSubscriptionWasDenied() throws Exception {
    assumeTrue(Files.isExecutable(MOSQUITTO_SUB), "mosquitto-clients not installed");
    try (MqttHarness mqtt = harness(AclOptions.NONE)) {
      Process sub =
          new ProcessBuilder(
                  MOSQUITTO_SUB.toString(),
                  "-h",
                  "127.0.0.1",
                  "-p",
                  String.valueOf(mqtt.port()),
                  "-V",
                  "mqttv5",
                  "-i",
                  "acl-tool",
                  "-t",
                  "devices/+/temp",
                  "-W",
                  "20")
              .redirectErrorStream(true)
              .start();

      assertThat(sub.waitFor(20, TimeUnit.SECONDS)).isTrue();
      String output = new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(output.trim()).isEqualTo("All subscription requests were denied.");
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "acl-tool").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
      assertThat(mqtt.transport.denials().get(AclDenials.Action.SUBSCRIBE)).isEqualTo(1);
    }
  }

  /** Collects "topic payload" lines of what a Paho 5 client receives. */
  private record Collector(BlockingQueue<String> received)
      implements org.eclipse.paho.mqttv5.client.MqttCallback {
    @Override
    public void messageArrived(String topic, MqttMessage message) {
      received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
    }

    @Override
    public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) {}

    @Override
    public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException e) {}

    @Override
    public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {}

    @Override
    public void authPacketArrived(
        int reasonCode, org.eclipse.paho.mqttv5.common.packet.MqttProperties p) {}
  }
}

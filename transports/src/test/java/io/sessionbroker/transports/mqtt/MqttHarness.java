package io.sessionbroker.transports.mqtt;

import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A session table fixture with an MQTT transport on an ephemeral loopback port, and client helpers.
 *
 * <p>{@link #close} shuts the table down first, so the sessions a test leaves open end with {@code
 * SHUTDOWN} (expected by the event contract), and only then closes the raw clients {@link #raw}
 * opened: a test that does not mean to drop a device does not cause a {@code CONNECTION_LOST} in
 * its body.
 */
final class MqttHarness implements AutoCloseable {

  final TableFixture fixture;
  final MqttTransport transport;
  private final List<RawMqtt> rawClients = new CopyOnWriteArrayList<>();

  MqttHarness() throws Exception {
    this(MqttOptions.defaults().withPort(0), DeviceAuth.NONE);
  }

  MqttHarness(MqttOptions options, DeviceAuth auth) throws Exception {
    this(options, auth, null);
  }

  /**
   * @param router makes the transport's router on the fixture's Vert.x; null for the standalone one
   */
  MqttHarness(MqttOptions options, DeviceAuth auth, Function<Vertx, MqttRouter> router)
      throws Exception {
    this(options, auth, router, AclOptions.NONE);
  }

  /**
   * @param acl the authorization: {@link AclOptions#NONE} is the broker's default (each client its
   *     own tree only)
   */
  MqttHarness(
      MqttOptions options, DeviceAuth auth, Function<Vertx, MqttRouter> router, AclOptions acl)
      throws Exception {
    fixture = new TableFixture();
    transport =
        new MqttTransport(
            fixture.table,
            options,
            auth,
            router == null ? new LocalRouter() : router.apply(fixture.vertx),
            ListenerTls.NONE,
            acl);
    fixture.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
  }

  /**
   * A harness whose ACL file lets every client use every topic ({@code topic readwrite #}), for
   * tests of something else (wills, takeover, properties) whose watchers read other clients'
   * topics. The default, each client its own tree, is tested by {@code MqttAclIT}.
   */
  static MqttHarness everyTopic() throws Exception {
    return everyTopic(null);
  }

  /** The same, with {@code router} ({@link #MqttHarness(MqttOptions, DeviceAuth, Function)}). */
  static MqttHarness everyTopic(Function<Vertx, MqttRouter> router) throws Exception {
    return new MqttHarness(
        MqttOptions.defaults().withPort(0), DeviceAuth.NONE, router, aclFile("topic readwrite #"));
  }

  /** Settings naming a temporary ACL file with {@code lines}, checked every 50 ms. */
  static AclOptions aclFile(String... lines) throws java.io.IOException {
    Path file = Files.createTempFile("acl", ".conf");
    file.toFile().deleteOnExit();
    Files.writeString(file, String.join("\n", lines) + "\n");
    return new AclOptions(file, java.util.Set.of(), 50);
  }

  int port() {
    return transport.port();
  }

  String uri() {
    return "tcp://127.0.0.1:" + port();
  }

  /**
   * A raw client, closed by {@link #close} after the table has shut down (a test may close it
   * earlier).
   */
  RawMqtt raw() throws Exception {
    RawMqtt client = new RawMqtt(port());
    rawClients.add(client);
    return client;
  }

  /** A connected MQTT 3.1.1 Paho client with a clean session. */
  MqttClient paho3(String clientId, int keepAliveSeconds) throws Exception {
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setKeepAliveInterval(keepAliveSeconds);
    options.setCleanSession(true);
    return paho3(clientId, options);
  }

  MqttClient paho3(String clientId, MqttConnectOptions options) throws Exception {
    MqttClient client = new MqttClient(uri(), clientId, new MemoryPersistence());
    client.connect(options);
    return client;
  }

  /** A 3.1.1 subscriber collecting "topic payload" lines of what it receives. */
  BlockingQueue<String> subscriber(String clientId, String... filters) throws Exception {
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    MqttClient client = paho3(clientId, 30);
    for (String filter : filters) {
      client.subscribe(
          filter,
          1,
          (topic, message) ->
              received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8)));
    }
    return received;
  }

  /** What an MQTT 5 subscriber received: the topic and the message with its properties. */
  record Received5(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {}

  /** An MQTT 5 subscriber (Paho) to {@code filter} at QoS 1 on this transport. */
  BlockingQueue<Received5> subscriber5(String clientId, String filter) throws Exception {
    return subscriber5(uri(), clientId, filter);
  }

  /**
   * An MQTT 5 subscriber (Paho) to {@code filter} at QoS 1 on the broker at {@code uri}, collecting
   * what it receives; it stays connected until the table shuts down.
   */
  static BlockingQueue<Received5> subscriber5(String uri, String clientId, String filter)
      throws Exception {
    return subscriber5(
        uri, clientId, filter, new org.eclipse.paho.mqttv5.client.MqttConnectionOptions());
  }

  /** The same, connecting with {@code options}. */
  static BlockingQueue<Received5> subscriber5(
      String uri,
      String clientId,
      String filter,
      org.eclipse.paho.mqttv5.client.MqttConnectionOptions options)
      throws Exception {
    BlockingQueue<Received5> received = new LinkedBlockingQueue<>();
    var client =
        new org.eclipse.paho.mqttv5.client.MqttClient(
            uri, clientId, new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    client.setCallback(
        new org.eclipse.paho.mqttv5.client.MqttCallback() {
          @Override
          public void messageArrived(
              String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
            received.add(new Received5(topic, message));
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
        });
    client.connect(options);
    client.subscribe(filter, 1);
    return received;
  }

  /** Publishes a marker on {@code topic}: whatever a subscriber received before it came first. */
  void publishMarker(String topic) throws Exception {
    MqttClient client = paho3("marker-" + System.nanoTime(), 30);
    client.publish(topic, "marker".getBytes(StandardCharsets.UTF_8), 1, false);
    client.disconnect();
    client.close();
  }

  @Override
  public void close() throws Exception {
    try {
      fixture.close();
    } finally {
      for (RawMqtt client : rawClients) {
        client.close();
      }
    }
  }
}

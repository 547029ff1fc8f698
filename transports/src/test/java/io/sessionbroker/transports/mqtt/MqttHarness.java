package io.sessionbroker.transports.mqtt;

import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** A session table fixture with an MQTT transport on an ephemeral loopback port, and client helpers. */
final class MqttHarness implements AutoCloseable {

  final TableFixture fixture;
  final MqttTransport transport;

  MqttHarness() throws Exception {
    this(MqttOptions.defaults().withPort(0), DeviceAuth.NONE);
  }

  MqttHarness(MqttOptions options, DeviceAuth auth) throws Exception {
    fixture = new TableFixture();
    transport = new MqttTransport(fixture.table, options, auth);
    fixture.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
  }

  int port() {
    return transport.port();
  }

  String uri() {
    return "tcp://127.0.0.1:" + port();
  }

  RawMqtt raw() throws Exception {
    return new RawMqtt(port());
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
      client.subscribe(filter, 1, (topic, message) ->
          received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8)));
    }
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
    fixture.close();
  }
}

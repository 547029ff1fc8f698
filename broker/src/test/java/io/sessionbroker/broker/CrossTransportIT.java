package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.KICKED;
import static io.sessionbroker.cluster.CloseReason.TAKEN_OVER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies one session table for every transport: a device takes its own session over from another
 * transport, both sides learn why, and a subscriber on the TCP bridge sees the close of the old
 * session and the open of the new one. Real clients throughout: plain sockets, the JDK WebSocket
 * client, Eclipse Paho (MQTT 5).
 */
@Timeout(90)
class CrossTransportIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(TAKEN_OVER)
  void webSocketTakesOverTcpAndTheTcpDeviceIsToldWhy() throws Exception {
    try (TcpDevice tcp = harness.tcpDevice();
        WsPeer ws = new WsPeer(harness.broker.port(TransportName.WEBSOCKET))) {
      tcp.hello("x-ws-1", 30);
      harness.await(Addresses.OPENED, "x-ws-1");

      ws.hello("x-ws-1", 30);

      assertTakenOver("x-ws-1", "tcp", "websocket");
      assertThat(tcp.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
    }
  }

  @Test
  @ExpectCloses(TAKEN_OVER)
  void tcpTakesOverWebSocketWhichClosesWith4001() throws Exception {
    try (WsPeer ws = new WsPeer(harness.broker.port(TransportName.WEBSOCKET));
        TcpDevice tcp = harness.tcpDevice()) {
      ws.hello("x-ws-2", 30);
      harness.await(Addresses.OPENED, "x-ws-2");

      tcp.hello("x-ws-2", 30);

      assertTakenOver("x-ws-2", "websocket", "tcp");
      assertThat(ws.next())
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
      assertThat(ws.closeCode()).isEqualTo(4001);
    }
  }

  @Test
  @ExpectCloses(KICKED)
  void kickedWebSocketClosesWith4002AndTheBridgeSeesKicked() throws Exception {
    try (WsPeer ws = new WsPeer(harness.broker.port(TransportName.WEBSOCKET))) {
      ws.send(new JsonObject().put("type", "hello").put("device", "x-ws-3").put("heartbeat", 0.2));
      assertThat(ws.next().getString("type")).isEqualTo("welcome");

      harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "x-ws-3"));

      assertThat(harness.await(Addresses.CLOSED, "x-ws-3").getString("reason")).isEqualTo("KICKED");
      assertThat(ws.closeCode()).isEqualTo(4002);
    }
  }

  @Test
  @ExpectCloses({
    TAKEN_OVER,
    CLIENT_CLOSED
  }) // CLIENT_CLOSED: the MQTT client disconnects in the body
  void mqttTakesOverTcp() throws Exception {
    try (TcpDevice tcp = harness.tcpDevice()) {
      tcp.hello("x-mqtt-1", 30);
      harness.await(Addresses.OPENED, "x-mqtt-1");

      MqttClient mqtt = connectMqtt("x-mqtt-1");
      try {
        assertTakenOver("x-mqtt-1", "tcp", "mqtt");
        assertThat(tcp.read(WAIT))
            .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
      } finally {
        mqtt.disconnect();
        mqtt.close();
      }
    }
  }

  @Test
  @ExpectCloses(TAKEN_OVER)
  void tcpTakesOverMqttWhichGetsDisconnect0x8E() throws Exception {
    CompletableFuture<Integer> disconnectReason = new CompletableFuture<>();
    MqttClient mqtt = connectMqtt("x-mqtt-2");
    mqtt.setCallback(new DisconnectRecorder(disconnectReason));
    harness.await(Addresses.OPENED, "x-mqtt-2");
    try (TcpDevice tcp = harness.tcpDevice()) {

      tcp.hello("x-mqtt-2", 30);

      assertTakenOver("x-mqtt-2", "mqtt", "tcp");
      assertThat(disconnectReason.get(10, TimeUnit.SECONDS)).isEqualTo(0x8E);
    } finally {
      mqtt.close(true);
    }
  }

  /**
   * The old session's close (TAKEN_OVER) comes before the new session's open, with a larger epoch.
   */
  private static void assertTakenOver(String device, String oldTransport, String newTransport)
      throws Exception {
    JsonObject closed = harness.await(Addresses.CLOSED, device);
    JsonObject opened = harness.await(Addresses.OPENED, device);
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(closed.getString("transport")).isEqualTo(oldTransport);
    assertThat(opened.getString("transport")).isEqualTo(newTransport);
    assertThat(opened.getLong("epoch")).isGreaterThan(closed.getLong("epoch"));
    assertThat(opened.getLong("seq")).isGreaterThan(closed.getLong("seq"));
  }

  private static MqttClient connectMqtt(String clientId) throws MqttException {
    MqttClient client =
        new MqttClient(
            "tcp://127.0.0.1:" + harness.broker.port(TransportName.MQTT),
            clientId,
            new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setKeepAliveInterval(30);
    options.setAutomaticReconnect(false);
    client.connect(options);
    return client;
  }

  private record DisconnectRecorder(CompletableFuture<Integer> reason) implements MqttCallback {

    @Override
    public void disconnected(MqttDisconnectResponse response) {
      reason.complete(response.getReturnCode());
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {}

    @Override
    public void messageArrived(String topic, MqttMessage message) {}

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }
}

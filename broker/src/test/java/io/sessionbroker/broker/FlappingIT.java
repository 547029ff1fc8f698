package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.broker.MainTest.Result;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies flapping detection on a whole broker with clients that reconnect in a loop: a raw TCP
 * socket and Paho (MQTT 5 and 3.1.1). With {@code limits.flappingMaxDisconnects} 3, the fourth
 * disconnect within the window bans the device: its next hello is refused with the wire's answer
 * and a {@code sessions.rejected} event with code {@code flapping}; {@code GET /api/bans} lists the
 * ban and {@code DELETE /api/bans/{deviceId}} lifts it.
 */
@Timeout(120)
class FlappingIT {

  private static final int MAX_DISCONNECTS = 3;
  private static BrokerHarness harness;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startBroker() throws Exception {
    harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("limits")
                    .put("flappingMaxDisconnects", MAX_DISCONNECTS)
                    .put("flappingWindowMs", 60_000)
                    .put("flappingBanMs", 300_000));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /**
   * Verifies that a raw TCP device that says hello and bye in a loop is banned after its fourth
   * disconnect: its fifth hello gets {@code {"type":"error","code":"flapping"}}, a {@code
   * sessions.rejected} with code {@code flapping}, and no session; the admin API lists the ban and
   * lifting it lets the device in at once.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aTcpDeviceReconnectingInALoopIsBannedListedAndLifted() throws Exception {
    // given a device that has connected and said bye one time more than allowed
    String device = "flap-tcp-1";
    for (int i = 0; i <= MAX_DISCONNECTS; i++) {
      try (TcpDevice tcp = harness.tcpDevice()) {
        assertThat(tcp.hello(device, 30).getString("type")).isEqualTo("welcome");
        tcp.send(new JsonObject().put("type", "bye"));
        assertThat(harness.await(Addresses.CLOSED, device).getString("reason"))
            .isEqualTo("CLIENT_CLOSED");
      }
    }

    // when it connects once more
    try (TcpDevice tcp = harness.tcpDevice()) {
      JsonObject answer = tcp.hello(device, 30);

      // then it is refused, told why, and the back end sees the rejection
      assertThat(answer.getString("type")).isEqualTo("error");
      assertThat(answer.getString("code")).isEqualTo("flapping");
      assertThat(tcp.closedByBroker(WAIT)).isTrue();
    }
    JsonObject rejected = harness.await(Addresses.REJECTED, device);
    assertThat(rejected.getString("code")).isEqualTo("flapping");
    assertThat(rejected.getString("transport")).isEqualTo("tcp");

    // and the admin API lists the ban ...
    JsonObject bans = new JsonObject(api("GET", "/api/bans", 200));
    assertThat(bans.getJsonArray("bans").stream().map(b -> ((JsonObject) b).getString("deviceId")))
        .contains(device);
    JsonObject ban = (JsonObject) bans.getJsonArray("bans").getValue(0);
    assertThat(ban.getString("node")).isEqualTo(harness.broker.nodeId());
    assertThat(ban.getLong("until")).isGreaterThan(System.currentTimeMillis() + 200_000);

    // ... and lifts it: the device connects at once
    assertThat(new JsonObject(api("DELETE", "/api/bans/" + device, 200)).getBoolean("lifted"))
        .isTrue();
    api("DELETE", "/api/bans/" + device, 404);
    try (TcpDevice tcp = harness.tcpDevice()) {
      assertThat(tcp.hello(device, 30).getString("type")).isEqualTo("welcome");
      tcp.send(new JsonObject().put("type", "bye"));
      harness.await(Addresses.CLOSED, device);
    }
  }

  /**
   * Verifies that an MQTT 5 client reconnecting in a loop is refused, once banned, with CONNACK
   * reason code 0x9F "Connection rate exceeded" (MQTT 5 §3.2.2.2, Table 3-1: "The connection rate
   * limit has been exceeded").
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aPahoV5ClientReconnectingInALoopGetsConnack0x9F() throws Exception {
    String device = "flap-mqtt5-1";
    String uri = "tcp://127.0.0.1:" + harness.broker.port(TransportName.MQTT);
    for (int i = 0; i <= MAX_DISCONNECTS; i++) {
      MqttClient client = new MqttClient(uri, device, new MemoryPersistence());
      client.connect(new MqttConnectionOptions());
      harness.await(Addresses.OPENED, device);
      client.disconnect();
      client.close();
      harness.await(Addresses.CLOSED, device);
    }

    MqttClient banned = new MqttClient(uri, device, new MemoryPersistence());
    assertThatThrownBy(() -> banned.connect(new MqttConnectionOptions()))
        .isInstanceOf(MqttException.class)
        .extracting(e -> ((MqttException) e).getReasonCode())
        .isEqualTo(0x9F);
    banned.close();
    assertThat(harness.await(Addresses.REJECTED, device).getString("code")).isEqualTo("flapping");
  }

  /**
   * Verifies that an MQTT 3.1.1 client, once banned, is refused with CONNACK return code 0x03
   * "Connection Refused, Server unavailable" (MQTT 3.1.1 §3.2.2.3, Table 3.1), sent as raw bytes.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void anMqtt311ClientReconnectingInALoopGetsConnack0x03() throws Exception {
    String device = "flap-mqtt3-1";
    byte[] connack = null;
    for (int i = 0; i <= MAX_DISCONNECTS + 1; i++) {
      try (Socket socket = new Socket("127.0.0.1", harness.broker.port(TransportName.MQTT))) {
        socket.setSoTimeout((int) WAIT.toMillis());
        // CONNECT, MQTT 3.1.1, clean session, keep-alive 30, client id "flap-mqtt3-1"
        byte[] connect = {
          0x10, 24, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 12, 'f', 'l', 'a', 'p', '-', 'm', 'q',
          't', 't', '3', '-', '1'
        };
        socket.getOutputStream().write(connect);
        connack = socket.getInputStream().readNBytes(4);
        if (i <= MAX_DISCONNECTS) {
          assertThat(connack).containsExactly(0x20, 2, 0, 0);
          harness.await(Addresses.OPENED, device);
          socket.getOutputStream().write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
          harness.await(Addresses.CLOSED, device);
        }
      }
    }
    assertThat(connack).containsExactly(0x20, 2, 0, 3);
    assertThat(harness.await(Addresses.REJECTED, device).getString("code")).isEqualTo("flapping");
  }

  /**
   * Verifies that a WebSocket device, once banned, gets an {@code error} frame with code {@code
   * flapping} and then close code 1008 "policy violation" (RFC 6455 §7.4.1: "an endpoint is
   * terminating the connection because it has received a message that violates its policy").
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aWebSocketDeviceReconnectingInALoopGetsCloseCode1008() throws Exception {
    // given a device that has connected and said bye one time more than allowed
    String device = "flap-ws-1";
    int port = harness.broker.port(TransportName.WEBSOCKET);
    for (int i = 0; i <= MAX_DISCONNECTS; i++) {
      try (WsPeer ws = new WsPeer(port)) {
        assertThat(ws.hello(device, 30).getString("type")).isEqualTo("welcome");
        ws.send(new JsonObject().put("type", "bye"));
        assertThat(harness.await(Addresses.CLOSED, device).getString("reason"))
            .isEqualTo("CLIENT_CLOSED");
      }
    }

    // when it connects once more
    try (WsPeer ws = new WsPeer(port)) {
      JsonObject answer = ws.hello(device, 30);

      // then it is told why, and the connection ends with 1008
      assertThat(answer.getString("type")).isEqualTo("error");
      assertThat(answer.getString("code")).isEqualTo("flapping");
      assertThat(ws.closeCode()).isEqualTo(1008);
    }
    assertThat(harness.await(Addresses.REJECTED, device).getString("code")).isEqualTo("flapping");
  }

  /**
   * Verifies the operator's commands over a ban: {@code bin/broker bans list} shows the banned
   * device in its table, {@code bans lift} lifts it (exit 0, the device connects again), and a
   * second lift finds nothing (exit 1, the API's reason).
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void theBansCommandListsAndLiftsABan(@TempDir Path dir) throws Exception {
    // given a banned device, and the operator's configuration file naming the broker's HTTP port
    String device = "flap-cli-1";
    for (int i = 0; i <= MAX_DISCONNECTS; i++) {
      try (TcpDevice tcp = harness.tcpDevice()) {
        tcp.hello(device, 30);
        tcp.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, device);
      }
    }
    try (TcpDevice tcp = harness.tcpDevice()) {
      assertThat(tcp.hello(device, 30).getString("code")).isEqualTo("flapping");
    }
    harness.await(Addresses.REJECTED, device);
    JsonObject file = harness.conf.copy();
    file.getJsonObject("http").put("port", harness.broker.httpPort());
    Path conf = dir.resolve("broker.json");
    Files.writeString(conf, file.encodePrettily());

    // when the operator lists the bans
    Result list = MainTest.run(Map.of(), "bans", "list", "--conf", conf.toString());

    // then the device is a row of the table, on this node
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out().lines().findFirst().orElseThrow()).matches("DEVICE +NODE +UNTIL +LEFT");
    assertThat(list.out().lines())
        .anyMatch(l -> l.startsWith(device + " ") && l.contains(harness.broker.nodeId()));

    // when they lift it, it is lifted: the device connects at once
    Result lift = MainTest.run(Map.of(), "bans", "lift", device, "--conf", conf.toString());
    assertThat(lift.exit()).as(lift.err()).isZero();
    assertThat(lift.out()).isEqualTo("lifted the ban of " + device + "\n");
    try (TcpDevice tcp = harness.tcpDevice()) {
      assertThat(tcp.hello(device, 30).getString("type")).isEqualTo("welcome");
      tcp.send(new JsonObject().put("type", "bye"));
      harness.await(Addresses.CLOSED, device);
    }

    // and lifting it again finds no ban
    Result again = MainTest.run(Map.of(), "bans", "lift", device, "--conf", conf.toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).startsWith("broker: ");
  }

  /** The body of {@code method path} on the broker's HTTP API, which must answer {@code status}. */
  private static String api(String method, String path, int status) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + harness.broker.httpPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(WAIT)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode())
        .as(method + " " + path + ": " + response.body())
        .isEqualTo(status);
    return response.body();
  }
}

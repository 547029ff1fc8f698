package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
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
 * Verifies every TLS listener of a whole broker with real clients (docs/security.md): mosquitto and
 * Paho over MQTT, a JDK {@code SSLSocket} for raw TCP and the event bus bridge, the JDK HTTP and
 * WebSocket clients for HTTPS and {@code wss://}; and that a client trusting another CA, and a
 * plain-text client on a TLS port, get no session. Certificates are made by the test ({@link
 * TestPki}).
 */
@Timeout(120)
class TlsListenersIT {

  private static final Path SUB = Path.of("/usr/bin/mosquitto_sub");
  private static final Path PUB = Path.of("/usr/bin/mosquitto_pub");
  private static final Path OPENSSL = Path.of("/usr/bin/openssl");

  @TempDir static Path dir;
  private static TestPki pki;
  private static TestPki.Issued server;
  private static BrokerHarness harness;
  private static SSLContext trusting;

  @BeforeAll
  static void startBroker() throws Exception {
    pki = TestPki.create(dir, "test-ca");
    server = pki.server("server");
    trusting = TestPki.trusting(pki.ca().certFile());
    harness =
        BrokerHarness.start(
            conf -> {
              withTls(conf, server);
              // the MQTT subscriber below reads another client's tree (docs/security.md, ACLs)
              conf.getJsonObject("mqtt").put("adminUsers", new JsonArray().add("tls-watcher"));
            });
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /** The {@code tls} section for {@code cert}, and a free TLS port beside every plain one. */
  static void withTls(JsonObject conf, TestPki.Issued cert) {
    conf.put(
        "tls",
        new JsonObject()
            .put("certFile", cert.certFile().toString())
            .put("keyFile", cert.keyFile().toString())
            .put("reloadCheckMs", 100));
    for (String listener : BrokerConfig.TLS_LISTENERS) {
      conf.getJsonObject(listener).put("tlsPort", 0);
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void mosquittoSubReceivesWhatMosquittoPubPublishesOverTls() throws Exception {
    assumeTrue(
        Files.isExecutable(SUB) && Files.isExecutable(PUB),
        "mosquitto-clients not installed: apt-get install mosquitto-clients");
    String port = String.valueOf(harness.broker.tlsPort(TransportName.MQTT));
    String ca = pki.ca().certFile().toString();
    // given a mosquitto_sub that trusts the test CA, waiting for one message
    Process sub =
        new ProcessBuilder(
                SUB.toString(),
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "--cafile",
                ca,
                "-i",
                "tls-sub",
                "-u",
                "tls-watcher",
                "-t",
                "devices/#",
                "-v",
                "-C",
                "1",
                "-W",
                "30")
            .redirectErrorStream(true)
            .start();
    harness.await(Addresses.OPENED, "tls-sub");

    // when mosquitto_pub publishes over TLS too
    Process pub =
        new ProcessBuilder(
                PUB.toString(),
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "--cafile",
                ca,
                "-i",
                "tls-pub",
                "-t",
                "devices/tls-pub/temp",
                "-m",
                "22.5",
                "-q",
                "1")
            .redirectErrorStream(true)
            .start();

    // then the message goes through, and both sessions were mqtt sessions that closed cleanly
    assertThat(pub.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(pub.exitValue()).isZero();
    assertThat(sub.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
        .isEqualTo("devices/tls-pub/temp 22.5");
    assertThat(harness.await(Addresses.CLOSED, "tls-pub").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
    assertThat(harness.await(Addresses.CLOSED, "tls-sub").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void mosquittoTrustingAnotherCaIsRefused() throws Exception {
    assumeTrue(
        Files.isExecutable(PUB),
        "mosquitto-clients not installed: apt-get install mosquitto-clients");
    // given the same command gets through with the broker's CA
    assertThat(mosquittoPub("tls-right-ca", pki.ca().certFile())).isEqualTo("");
    harness.await(Addresses.CLOSED, "tls-right-ca");

    // then with another CA's certificate it fails the handshake
    TestPki other = TestPki.create(dir, "other-ca");
    // mosquitto_pub says so in one of two ways, depending on whether the handshake fails inside
    // its connect call ("exit 1: Unable to connect (A TLS error occurred.).") or in its loop after
    // it ("exit 8: Error: A TLS error occurred.", 8 = MOSQ_ERR_TLS); which one is a race of the
    // client's, seen with both TLS engines
    assertThat(mosquittoPub("tls-wrong-ca", other.ca().certFile()))
        .matches("exit [18]: .*A TLS error occurred\\..*");
  }

  /** mosquitto_pub's output, with its exit status first when that is not 0. */
  private static String mosquittoPub(String clientId, Path caFile) throws Exception {
    Process pub =
        new ProcessBuilder(
                PUB.toString(),
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(harness.broker.tlsPort(TransportName.MQTT)),
                "--cafile",
                caFile.toString(),
                "-i",
                clientId,
                "-t",
                "sensors/1",
                "-m",
                "x")
            .redirectErrorStream(true)
            .start();
    assertThat(pub.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String output = new String(pub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return pub.exitValue() == 0 ? output : "exit " + pub.exitValue() + ": " + output;
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void pahoConnectsOverTlsWithAnSslSocketFactory() throws Exception {
    MqttClient client =
        new MqttClient(
            "ssl://127.0.0.1:" + harness.broker.tlsPort(TransportName.MQTT),
            "tls-paho",
            new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setSocketFactory(trusting.getSocketFactory());
    options.setHttpsHostnameVerificationEnabled(true);
    client.connect(options);

    assertThat(harness.await(Addresses.OPENED, "tls-paho").getString("transport"))
        .isEqualTo("mqtt");
    client.disconnect();
    client.close();
    assertThat(harness.await(Addresses.CLOSED, "tls-paho").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  @Test
  void pahoTrustingAnotherCaGetsNoSession() {
    SSLContext other = TestPki.trusting(TestPki.create(dir, "paho-other-ca").ca().certFile());
    assertThatThrownBy(
            () -> {
              MqttClient client =
                  new MqttClient(
                      "ssl://127.0.0.1:" + harness.broker.tlsPort(TransportName.MQTT),
                      "tls-paho-wrong",
                      new MemoryPersistence());
              MqttConnectionOptions options = new MqttConnectionOptions();
              options.setSocketFactory(other.getSocketFactory());
              client.connect(options);
            })
        .isInstanceOf(MqttException.class)
        .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class)
        .rootCause()
        .hasMessageContaining("unable to find valid certification path");
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aRawTcpDeviceHoldsASessionOverTls() throws Exception {
    try (TcpDevice device =
        new TcpDevice(tlsSocket(trusting, harness.broker.tlsPort(TransportName.TCP)))) {
      assertThat(device.hello("tls-tcp-1", 30).getString("type")).isEqualTo("welcome");
      JsonObject opened = harness.await(Addresses.OPENED, "tls-tcp-1");
      assertThat(opened.getString("transport")).isEqualTo("tcp");

      device.send(new JsonObject().put("type", "bye"));
      assertThat(harness.await(Addresses.CLOSED, "tls-tcp-1").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }

  @Test
  void aRawTcpClientTrustingAnotherCaFailsItsHandshake() {
    SSLContext other = TestPki.trusting(TestPki.create(dir, "tcp-other-ca").ca().certFile());
    assertThatThrownBy(() -> tlsSocket(other, harness.broker.tlsPort(TransportName.TCP)))
        .isInstanceOf(SSLException.class);
  }

  @Test
  void aPlainTextHelloOnTheTlsPortGetsNoWelcomeAndNoSession() throws Exception {
    // given a device that speaks JSON lines in clear text to the TLS port
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress("127.0.0.1", harness.broker.tlsPort(TransportName.TCP)), 5_000);
      socket
          .getOutputStream()
          .write(
              "{\"type\":\"hello\",\"device\":\"tls-plain-1\",\"heartbeat\":30}\n"
                  .getBytes(StandardCharsets.UTF_8));
      // then the broker answers with a TLS alert at most, and closes the connection
      socket.setSoTimeout((int) WAIT.toMillis());
      byte[] answer = socket.getInputStream().readAllBytes();
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("welcome");
    }
  }

  @Test
  void aPlainTextMqttConnectOnTheTlsPortIsClosed() throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress("127.0.0.1", harness.broker.tlsPort(TransportName.MQTT)), 5_000);
      // CONNECT, MQTT 3.1.1, clean session, keep-alive 30, client id "tls-plain-m"
      byte[] connect = {
        0x10, 23, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 11, 't', 'l', 's', '-', 'p', 'l', 'a',
        'i', 'n', '-', 'm'
      };
      socket.getOutputStream().write(connect);
      socket.setSoTimeout((int) WAIT.toMillis());
      InputStream in = socket.getInputStream();
      byte[] answer = in.readAllBytes();
      // no CONNACK (0x20): at most a TLS alert record (0x15), then the end of the stream
      assertThat(answer.length == 0 || answer[0] == 0x15).as("answer %s", answer).isTrue();
    }
  }

  @Test
  void theTlsPortsOfferTls12AtLeast() throws Exception {
    try (SSLSocket socket = tlsSocket(trusting, harness.broker.tlsPort(TransportName.TCP))) {
      assertThat(socket.getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
    }
  }

  @Test
  void aClientOfferingOnlyTls11IsRefused() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl not installed");
    int port = harness.broker.tlsPort(TransportName.TCP);
    // OpenSSL 3 itself refuses TLS 1.1 below security level 0; lowered, it offers it
    assertThat(openSslHandshake(port, "-tls1_1")).as("TLS 1.1 handshake succeeded").isFalse();
    assertThat(openSslHandshake(port, "-tls1_2")).as("TLS 1.2 handshake failed").isTrue();
  }

  /** Whether {@code openssl s_client} completes a handshake with {@code version}. */
  private static boolean openSslHandshake(int port, String version) throws Exception {
    Process client =
        new ProcessBuilder(
                OPENSSL.toString(),
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                version,
                "-cipher",
                "DEFAULT@SECLEVEL=0",
                "-CAfile",
                pki.ca().certFile().toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return client.exitValue() == 0 && output.contains("Verify return code: 0 (ok)");
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aWebSocketDeviceHoldsASessionOverWss() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(trusting).build();
    CompletableFuture<String> welcome = new CompletableFuture<>();
    WebSocket ws =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create(
                    "wss://localhost:"
                        + harness.broker.tlsPort(TransportName.WEBSOCKET)
                        + "/devices"),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
                    welcome.complete(data.toString());
                    return null;
                  }
                })
            .get(10, TimeUnit.SECONDS);
    ws.sendText("{\"type\":\"hello\",\"device\":\"tls-ws-1\",\"heartbeat\":30}", true);

    assertThat(new JsonObject(welcome.get(10, TimeUnit.SECONDS)).getString("type"))
        .isEqualTo("welcome");
    assertThat(harness.await(Addresses.OPENED, "tls-ws-1").getString("transport"))
        .isEqualTo("websocket");
    ws.sendText("{\"type\":\"bye\"}", true);
    assertThat(harness.await(Addresses.CLOSED, "tls-ws-1").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  @Test
  void httpsServesTheOperatorEndpoints() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(trusting).build();
    HttpResponse<String> health =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create("https://localhost:" + harness.broker.httpsPort() + "/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("{\"status\":\"up\"}");
    assertThat(health.sslSession()).isPresent();
  }

  @Test
  void theEventBusBridgeAnswersOverTls() throws Exception {
    try (RawBridge bridge = new RawBridge(tlsSocket(trusting, harness.broker.bridgeTlsPort()))) {
      bridge.send(new JsonObject().put("type", "ping"));
      assertThat(bridge.next(WAIT).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void listenersNameTheirTlsPorts() {
    assertThat(harness.broker.listeners())
        .contains(
            "tcp tls 127.0.0.1:" + harness.broker.tlsPort(TransportName.TCP),
            "mqtt tls 127.0.0.1:" + harness.broker.tlsPort(TransportName.MQTT),
            "websocket tls 127.0.0.1:" + harness.broker.tlsPort(TransportName.WEBSOCKET),
            "bridge tls 127.0.0.1:" + harness.broker.bridgeTlsPort(),
            "http tls 127.0.0.1:" + harness.broker.httpsPort());
    assertThat(List.of(harness.broker.tlsPort(TransportName.UDP))).containsExactly(-1);
  }

  /** A handshaken TLS socket to the broker's {@code port}, host name checked. */
  static SSLSocket tlsSocket(SSLContext context, int port) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
    javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    socket.setSSLParameters(parameters);
    socket.setSoTimeout((int) WAIT.toMillis());
    socket.startHandshake();
    return socket;
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.broker.TlsListenersIT.tlsSocket;
import static io.sessionbroker.broker.TlsListenersIT.withTls;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies what the broker does with the certificate files themselves: a replaced certificate is
 * served without a restart on every TLS listener, an expired one is refused by clients, and with
 * {@code clientAuth: require} a client without a certificate of the configured CA gets no
 * connection.
 */
@Timeout(120)
class TlsCertificatesIT {

  @TempDir Path dir;

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aReplacedCertificateIsServedWithoutARestartOnEveryTlsListener() throws Exception {
    // given a broker serving certificate A, checking its files every 100 ms
    TestPki pki = TestPki.create(dir, "reload-ca");
    TestPki.Issued served = pki.server("server");
    SSLContext trusting = TestPki.trusting(pki.ca().certFile());
    try (BrokerHarness harness = BrokerHarness.start(conf -> withTls(conf, served))) {
      Map<String, IntSupplier> ports = tlsPorts(harness.broker);
      BigInteger first = served.certificate().getSerialNumber();
      for (IntSupplier port : ports.values()) {
        assertThat(serialServedOn(trusting, port.getAsInt())).isEqualTo(first);
      }
      // and a device connected over TLS before the change
      TcpDevice before =
          new TcpDevice(tlsSocket(trusting, harness.broker.tlsPort(TransportName.TCP)));
      before.hello("tls-reload-1", 30);
      harness.await(Addresses.OPENED, "tls-reload-1");

      // when the files are replaced by certificate B
      TestPki.Issued replacement = pki.server("replacement");
      BigInteger second = replacement.certificate().getSerialNumber();
      assertThat(second).isNotEqualTo(first);
      TestPki.replace(served, replacement);

      // then every TLS listener hands B to new connections
      ports.forEach(
          (listener, port) ->
              await(listener)
                  .atMost(Duration.ofSeconds(10))
                  .pollInterval(Duration.ofMillis(50))
                  .untilAsserted(
                      () ->
                          assertThat(serialServedOn(trusting, port.getAsInt())).isEqualTo(second)));
      // and the device connected before goes on with its session
      before.send(new JsonObject().put("type", "ping"));
      assertThat(before.read(BrokerHarness.WAIT).getString("type")).isEqualTo("pong");
      before.send(new JsonObject().put("type", "bye"));
      assertThat(harness.await(Addresses.CLOSED, "tls-reload-1").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
      before.close();
    }
  }

  @Test
  void aClientRefusesAnExpiredServerCertificate() throws Exception {
    TestPki pki = TestPki.create(dir, "expired-ca");
    TestPki.Issued expired = pki.expiredServer("expired");
    assertThat(expired.certificate().getNotAfter()).isInThePast();
    SSLContext trusting = TestPki.trusting(pki.ca().certFile());
    try (BrokerHarness harness = BrokerHarness.start(conf -> withTls(conf, expired))) {
      for (IntSupplier port : tlsPorts(harness.broker).values()) {
        assertThatThrownBy(() -> tlsSocket(trusting, port.getAsInt()).close())
            .isInstanceOf(SSLException.class)
            .hasRootCauseInstanceOf(CertificateExpiredException.class);
      }
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void withClientAuthRequiredOnlyClientsWithACertificateOfTheCaConnect() throws Exception {
    // given a broker that requires client certificates of its CA
    TestPki pki = TestPki.create(dir, "clients-ca");
    TestPki.Issued served = pki.server("server");
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf -> {
              withTls(conf, served);
              conf.getJsonObject("tls")
                  .put("caFile", pki.ca().certFile().toString())
                  .put("clientAuth", "require");
            })) {
      int port = harness.broker.tlsPort(TransportName.TCP);

      // then a client with a certificate of that CA holds a session
      SSLContext withCertificate =
          TestPki.trusting(pki.ca().certFile(), pki.client("device-cert", "tls-client-1"));
      try (TcpDevice device = new TcpDevice(tlsSocket(withCertificate, port))) {
        assertThat(device.hello("tls-client-1", 30).getString("type")).isEqualTo("welcome");
        device.send(new JsonObject().put("type", "bye"));
        assertThat(harness.await(Addresses.CLOSED, "tls-client-1").getString("reason"))
            .isEqualTo("CLIENT_CLOSED");
      }
      // and one without a certificate, or with one of another CA, does not get through
      SSLContext without = TestPki.trusting(pki.ca().certFile());
      TestPki other = TestPki.create(dir, "stranger-ca");
      SSLContext stranger =
          TestPki.trusting(pki.ca().certFile(), other.client("stranger", "tls-client-2"));
      for (SSLContext refused : new SSLContext[] {without, stranger}) {
        assertThat(refusedAfterHandshake(refused, port)).isTrue();
      }
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aClientCertificateAuthenticatesTheDeviceIdsItNamesWithoutAToken() throws Exception {
    // given a broker with device tokens on, that asks clients for a certificate of its CA
    TestPki pki = TestPki.create(dir, "identity-ca");
    TestPki.Issued served = pki.server("server");
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf -> {
              withTls(conf, served);
              conf.getJsonObject("auth").put("secret", "0123456789abcdef-tls");
              conf.getJsonObject("tls")
                  .put("caFile", pki.ca().certFile().toString())
                  .put("clientAuth", "request");
            })) {
      TestPki.Issued device = pki.client("cert-tls-id-1", "tls-id-1");
      SSLContext withCertificate = TestPki.trusting(pki.ca().certFile(), device);
      int tcp = harness.broker.tlsPort(TransportName.TCP);

      // then a raw TCP device whose certificate says tls-id-1 opens tls-id-1 without a token
      try (TcpDevice tcpDevice = new TcpDevice(tlsSocket(withCertificate, tcp))) {
        assertThat(tcpDevice.hello("tls-id-1", 30).getString("type")).isEqualTo("welcome");
        tcpDevice.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "tls-id-1");
      }
      // but not another device id, nor the same id without the certificate
      try (TcpDevice other = new TcpDevice(tlsSocket(withCertificate, tcp))) {
        assertThat(other.hello("tls-id-2", 30).getString("code")).isEqualTo("auth_failed");
      }
      SSLContext without = TestPki.trusting(pki.ca().certFile());
      try (TcpDevice anonymous = new TcpDevice(tlsSocket(without, tcp))) {
        assertThat(anonymous.hello("tls-id-1", 30).getString("code")).isEqualTo("auth_failed");
      }

      // and so does a WebSocket device (wss://, the JDK client presenting the certificate)
      java.util.concurrent.CompletableFuture<String> welcome =
          new java.util.concurrent.CompletableFuture<>();
      java.net.http.WebSocket ws =
          java.net.http.HttpClient.newBuilder()
              .sslContext(TestPki.trusting(pki.ca().certFile(), pki.client("cert-ws", "tls-id-5")))
              .build()
              .newWebSocketBuilder()
              .buildAsync(
                  java.net.URI.create(
                      "wss://localhost:"
                          + harness.broker.tlsPort(TransportName.WEBSOCKET)
                          + "/devices"),
                  new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(
                        java.net.http.WebSocket socket, CharSequence data, boolean last) {
                      welcome.complete(data.toString());
                      return null;
                    }
                  })
              .get(10, java.util.concurrent.TimeUnit.SECONDS);
      ws.sendText("{\"type\":\"hello\",\"device\":\"tls-id-5\",\"heartbeat\":30}", true);
      assertThat(
              new JsonObject(welcome.get(10, java.util.concurrent.TimeUnit.SECONDS))
                  .getString("type"))
          .isEqualTo("welcome");
      ws.sendText("{\"type\":\"bye\"}", true);
      harness.await(Addresses.CLOSED, "tls-id-5");

      // and an MQTT client named like its certificate connects without a password
      java.nio.file.Path pub = java.nio.file.Path.of("/usr/bin/mosquitto_pub");
      if (java.nio.file.Files.isExecutable(pub)) {
        TestPki.Issued mqttDevice = pki.client("cert-tls-id-3", "tls-id-3");
        String port = String.valueOf(harness.broker.tlsPort(TransportName.MQTT));
        for (String[] attempt : new String[][] {{"tls-id-3", "0"}, {"tls-id-4", "5"}}) {
          Process process =
              new ProcessBuilder(
                      pub.toString(),
                      "-h",
                      "127.0.0.1",
                      "-p",
                      port,
                      "--cafile",
                      pki.ca().certFile().toString(),
                      "--cert",
                      mqttDevice.certFile().toString(),
                      "--key",
                      mqttDevice.keyFile().toString(),
                      "-i",
                      attempt[0],
                      "-t",
                      "devices/x",
                      "-m",
                      "1",
                      "-V",
                      "mqttv311")
                  .redirectErrorStream(true)
                  .start();
          String output = new String(process.getInputStream().readAllBytes());
          assertThat(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
          assertThat(String.valueOf(process.exitValue())).as(output).isEqualTo(attempt[1]);
        }
        harness.await(Addresses.CLOSED, "tls-id-3");
      }
    }
  }

  @Test
  void withPlainFalseOnlyTheTlsPortIsBound() throws Exception {
    // given a broker whose raw TCP and MQTT listeners are TLS only, on known plain ports
    TestPki pki = TestPki.create(dir, "plain-off-ca");
    TestPki.Issued served = pki.server("server");
    int tcpPort = BrokerHarness.freePort();
    int mqttPort = BrokerHarness.freePort();
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf -> {
              withTls(conf, served);
              conf.getJsonObject("tcp").put("port", tcpPort).put("plain", false);
              conf.getJsonObject("mqtt").put("port", mqttPort).put("plain", false);
            })) {
      // then nothing listens on the plain ports, and the TLS ports answer
      for (int plain : new int[] {tcpPort, mqttPort}) {
        assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", plain).close())
            .isInstanceOf(java.net.ConnectException.class);
      }
      assertThat(harness.broker.port(TransportName.TCP)).isEqualTo(-1);
      SSLContext trusting = TestPki.trusting(pki.ca().certFile());
      assertThat(serialServedOn(trusting, harness.broker.tlsPort(TransportName.MQTT)))
          .isEqualTo(served.certificate().getSerialNumber());
      assertThat(harness.broker.listeners())
          .noneMatch(l -> l.startsWith("tcp 127.0.0.1") || l.startsWith("mqtt 127.0.0.1"));
    }
  }

  /**
   * Whether the broker ends a connection from {@code context}: in TLS 1.3 the client's handshake
   * completes before the server has checked the client's certificate, so the refusal shows as an
   * alert on the first read.
   */
  private static boolean refusedAfterHandshake(SSLContext context, int port) {
    try (SSLSocket socket = tlsSocket(context, port)) {
      socket.getOutputStream().write("{\"type\":\"ping\"}\n".getBytes());
      socket.getOutputStream().flush();
      return socket.getInputStream().read() == -1;
    } catch (java.io.IOException e) {
      return true;
    }
  }

  private static Map<String, IntSupplier> tlsPorts(Broker broker) {
    return Map.of(
        "tcp", () -> broker.tlsPort(TransportName.TCP),
        "mqtt", () -> broker.tlsPort(TransportName.MQTT),
        "websocket", () -> broker.tlsPort(TransportName.WEBSOCKET),
        "bridge", broker::bridgeTlsPort,
        "http", broker::httpsPort);
  }

  private static BigInteger serialServedOn(SSLContext context, int port) throws Exception {
    try (SSLSocket socket = tlsSocket(context, port)) {
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }
}

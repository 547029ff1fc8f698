package io.sessionbroker.broker;

import static io.sessionbroker.broker.TlsListenersIT.tlsSocket;
import static io.sessionbroker.broker.TlsListenersIT.withTls;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that a device that names no id is the device its client certificate names (CN, else the
 * first DNS/URI/e-mail alternative name): an MQTT CONNECT with an empty client id, a raw TCP or
 * WebSocket hello without {@code device}; without a certificate such a hello stays a {@code
 * bad_hello}.
 */
@Timeout(120)
class CertificateIdentityIT {

  @TempDir Path dir;

  private TestPki pki;
  private TestPki.Issued served;

  @BeforeEach
  void pki() {
    pki = TestPki.create(dir, "identity-ca");
    served = pki.server("server");
  }

  private BrokerHarness start() throws Exception {
    return BrokerHarness.start(
        conf -> {
          withTls(conf, served);
          conf.getJsonObject("auth").put("secret", "0123456789abcdef-cert-id");
          conf.getJsonObject("tls")
              .put("caFile", pki.ca().certFile().toString())
              .put("clientAuth", "request");
        });
  }

  /**
   * Verifies [MQTT-3.1.3-6] / MQTT 5 §3.1.3.1 (a server may assign the id of a client that gives
   * none) with the certificate's name as that id; MQTT 5 returns it as the Assigned Client
   * Identifier ([MQTT-3.2.2-16] via §3.2.2.3.7).
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void anMqttClientWithAnEmptyClientIdIsTheDeviceItsCertificateNames() throws Exception {
    try (BrokerHarness harness = start()) {
      String url = "ssl://localhost:" + harness.broker.tlsPort(TransportName.MQTT);

      // when Paho 5 connects with no client id and a certificate naming cert-id-mqtt5
      SSLContext v5Context =
          TestPki.trusting(pki.ca().certFile(), pki.client("cert-mqtt5", "cert-id-mqtt5"));
      var v5 = new org.eclipse.paho.mqttv5.client.MqttClient(url, "", null);
      MqttConnectionOptions v5Options = new MqttConnectionOptions();
      v5Options.setSocketFactory(v5Context.getSocketFactory());
      IMqttToken connected = v5.connectWithResult(v5Options);

      // then its session is cert-id-mqtt5's, and the CONNACK tells it so
      assertThat(harness.await(Addresses.OPENED, "cert-id-mqtt5").getString("transport"))
          .isEqualTo("mqtt");
      assertThat(connected.getResponseProperties().getAssignedClientIdentifier())
          .isEqualTo("cert-id-mqtt5");
      v5.disconnect();
      harness.await(Addresses.CLOSED, "cert-id-mqtt5");

      // and so does Paho 3.1.1
      MqttClient v3 = new MqttClient(url, "", new MemoryPersistence());
      MqttConnectOptions v3Options = new MqttConnectOptions();
      v3Options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      v3Options.setSocketFactory(
          TestPki.trusting(pki.ca().certFile(), pki.client("cert-mqtt3", "cert-id-mqtt3"))
              .getSocketFactory());
      v3.connect(v3Options);
      harness.await(Addresses.OPENED, "cert-id-mqtt3");
      v3.disconnect();
      harness.await(Addresses.CLOSED, "cert-id-mqtt3");
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aTcpOrWebSocketHelloWithoutDeviceIsTheDeviceItsCertificateNames() throws Exception {
    try (BrokerHarness harness = start()) {
      int tcp = harness.broker.tlsPort(TransportName.TCP);
      JsonObject anonymousHello = new JsonObject().put("type", "hello").put("heartbeat", 30);

      // raw TCP with a certificate: the session is the certificate's device
      SSLContext withCertificate =
          TestPki.trusting(pki.ca().certFile(), pki.client("cert-tcp", "cert-id-tcp"));
      try (TcpDevice device = new TcpDevice(tlsSocket(withCertificate, tcp))) {
        device.send(anonymousHello);
        assertThat(device.read(BrokerHarness.WAIT).getString("type")).isEqualTo("welcome");
        assertThat(harness.await(Addresses.OPENED, "cert-id-tcp").getString("transport"))
            .isEqualTo("tcp");
        device.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "cert-id-tcp");
      }
      // raw TCP without a certificate: a hello must name its device
      try (TcpDevice device =
          new TcpDevice(tlsSocket(TestPki.trusting(pki.ca().certFile()), tcp))) {
        device.send(anonymousHello);
        assertThat(device.read(BrokerHarness.WAIT).getString("code")).isEqualTo("bad_hello");
      }

      // WebSocket (wss://, the JDK client presenting a certificate), the hello as first frame
      CompletableFuture<String> welcome = new CompletableFuture<>();
      WebSocket ws =
          HttpClient.newBuilder()
              .sslContext(
                  TestPki.trusting(pki.ca().certFile(), pki.client("cert-ws", "cert-id-ws")))
              .build()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create(
                      "wss://localhost:"
                          + harness.broker.tlsPort(TransportName.WEBSOCKET)
                          + "/devices"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(
                        WebSocket socket, CharSequence data, boolean last) {
                      welcome.complete(data.toString());
                      return null;
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      ws.sendText(anonymousHello.encode(), true);
      assertThat(new JsonObject(welcome.get(10, TimeUnit.SECONDS)).getString("type"))
          .isEqualTo("welcome");
      harness.await(Addresses.OPENED, "cert-id-ws");
      ws.sendText("{\"type\":\"bye\"}", true);
      harness.await(Addresses.CLOSED, "cert-id-ws");
    }
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies that both TLS engines ({@code tls.engine}: BoringSSL through netty-tcnative, the JDK's
 * {@code SSLEngine}) serve a device over TLS 1.3 with the broker's certificate, checked by the
 * JDK's own client against its CA and host name.
 */
@Timeout(60)
class TlsEngineIT {

  @TempDir static Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  @ExpectCloses(CLIENT_CLOSED)
  void aDeviceHoldsASessionOverTlsWithEitherEngine(String engine) throws Exception {
    TestPki pki = TestPki.create(dir, "engine-ca-" + engine);
    TestPki.Issued server = pki.server("server-" + engine);
    SSLContext trusting = TestPki.trusting(pki.ca().certFile());
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf -> {
              TlsListenersIT.withTls(conf, server);
              conf.getJsonObject("tls").put("engine", engine);
            })) {
      SSLSocket socket =
          TlsListenersIT.tlsSocket(trusting, harness.broker.tlsPort(TransportName.TCP));
      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
      String device = "engine-" + engine;
      try (TcpDevice tcp = new TcpDevice(socket)) {
        assertThat(tcp.hello(device, 30).getString("type")).isEqualTo("welcome");
        tcp.send(new JsonObject().put("type", "bye"));
        assertThat(harness.await(Addresses.CLOSED, device).getString("reason"))
            .isEqualTo("CLIENT_CLOSED");
      }
    }
  }
}

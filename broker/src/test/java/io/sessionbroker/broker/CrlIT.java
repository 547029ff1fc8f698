package io.sessionbroker.broker;

import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code tls.crlFile}: with client certificates required, a client whose certificate the
 * revocation list names gets no session, one signed by the same CA and not listed does. The list is
 * made by the test with {@code openssl ca -revoke} and {@code openssl ca -gencrl} (keytool cannot
 * make one).
 */
@Timeout(120)
class CrlIT {

  private static final Path OPENSSL = Path.of("/usr/bin/openssl");

  @TempDir Path dir;

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aRevokedClientCertificateIsRefusedAndAnotherIsNot() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl not installed: apt-get install openssl");
    // given a CA, two client certificates, and a CRL that revokes one of them
    TestPki pki = TestPki.create(dir, "crl-ca");
    TestPki.Issued server = pki.server("crl-server");
    TestPki.Issued good = pki.client("crl-good", "crl-good-1");
    TestPki.Issued revoked = pki.client("crl-revoked", "crl-revoked-1");
    Path crl = revoke(pki, revoked);
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf -> {
              TlsListenersIT.withTls(conf, server);
              conf.getJsonObject("tls")
                  .put("caFile", pki.ca().certFile().toString())
                  .put("clientAuth", "require")
                  .put("crlFile", crl.toString());
            })) {
      int port = harness.broker.tlsPort(TransportName.TCP);

      // when each says hello over TLS with its certificate
      String goodAnswer = hello(TestPki.trusting(pki.ca().certFile(), good), port, "crl-good-1");
      String revokedAnswer =
          hello(TestPki.trusting(pki.ca().certFile(), revoked), port, "crl-revoked-1");

      // then the listed one gets no welcome, the other does
      assertThat(goodAnswer).isEqualTo("welcome");
      assertThat(revokedAnswer).isNotEqualTo("welcome");
      harness.await(Addresses.CLOSED, "crl-good-1");
    }
  }

  /**
   * The type of the broker's answer to a hello over TLS with {@code context} ({@code welcome}), or
   * how the connection failed.
   */
  private static String hello(SSLContext context, int port, String device) {
    try (TcpDevice tcp = new TcpDevice(TlsListenersIT.tlsSocket(context, port))) {
      JsonObject answer = tcp.hello(device, 30);
      if (answer != null && "welcome".equals(answer.getString("type"))) {
        tcp.send(new JsonObject().put("type", "bye"));
      }
      return answer == null ? "closed" : answer.getString("type");
    } catch (IOException | RuntimeException e) {
      return "failed: " + e;
    }
  }

  /** A CRL signed by {@code pki}'s CA that lists {@code revoked}, made by {@code openssl ca}. */
  private Path revoke(TestPki pki, TestPki.Issued revoked) throws Exception {
    Files.writeString(dir.resolve("index.txt"), "");
    Files.writeString(dir.resolve("crlnumber"), "01\n");
    Path config = dir.resolve("ca.cnf");
    Files.writeString(
        config,
        String.join(
            "\n",
            "[ ca ]",
            "default_ca = test_ca",
            "[ test_ca ]",
            "database = " + dir.resolve("index.txt"),
            "crlnumber = " + dir.resolve("crlnumber"),
            "default_md = sha256",
            "default_crl_days = 1",
            ""));
    List<String> ca =
        List.of(
            OPENSSL.toString(),
            "ca",
            "-config",
            config.toString(),
            "-keyfile",
            pki.ca().keyFile().toString(),
            "-cert",
            pki.ca().certFile().toString());
    run(concat(ca, "-revoke", revoked.certFile().toString()));
    Path crl = dir.resolve("crl.pem");
    run(concat(ca, "-gencrl", "-out", crl.toString()));
    return crl;
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new java.util.ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  private static void run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
  }
}

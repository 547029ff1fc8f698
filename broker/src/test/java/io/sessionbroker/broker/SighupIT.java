package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TestPki;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that SIGHUP makes a running broker process re-read its certificate at once: with the
 * file watch set to an hour, a replaced certificate is served to new TLS clients right after {@code
 * kill -HUP}, and the process keeps running (a JVM without a handler would have died: SIGHUP's
 * default action ends the process).
 */
@Timeout(120)
class SighupIT {

  @Test
  void sighupServesTheReplacedCertificateToNewClients(@TempDir Path dir) throws Exception {
    // given a broker process with TLS on raw TCP, its file watch an hour apart
    TestPki pki = TestPki.create(dir, "hup-ca");
    TestPki.Issued served = pki.server("hup-server");
    int tlsPort = BrokerHarness.freePort();
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    conf.put(
        "tls",
        new JsonObject()
            .put("certFile", served.certFile().toString())
            .put("keyFile", served.keyFile().toString())
            .put("reloadCheckMs", 3_600_000));
    conf.getJsonObject("tcp").put("port", BrokerHarness.freePort()).put("tlsPort", tlsPort);
    conf.getJsonObject("udp").put("port", 0);
    conf.getJsonObject("mqtt").put("enabled", false);
    conf.getJsonObject("websocket").put("enabled", false);
    // no TLS ports of their own: with a certificate configured they would bind the shipped fixed
    // ports (7943, 7445), which another broker on the machine may hold
    conf.getJsonObject("bridge").put("port", BrokerHarness.freePort()).put("tlsPort", -1);
    conf.getJsonObject("http").put("port", BrokerHarness.freePort()).put("tlsPort", -1);
    Path file = dir.resolve("broker.json");
    Files.writeString(file, conf.encodePrettily());
    Path log = dir.resolve("broker.log");
    Process broker =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--conf",
                file.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      awaitLog(broker, log, "ready in");
      SSLContext trusting = TestPki.trusting(pki.ca().certFile());
      assertThat(servedSerial(trusting, tlsPort)).isEqualTo(served.certificate().getSerialNumber());

      // when the files are replaced and the operator sends SIGHUP
      TestPki.Issued renewed = pki.server("hup-renewed");
      TestPki.replace(served, renewed);
      Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(broker.pid())).start();
      assertThat(hup.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(hup.exitValue()).isZero();

      // then the broker says it reloaded, and a new client gets the renewed certificate
      awaitLog(broker, log, "tls_reloaded listener=tcp trigger=signal");
      assertThat(servedSerial(trusting, tlsPort))
          .isEqualTo(renewed.certificate().getSerialNumber());
      assertThat(broker.isAlive()).isTrue();
    } finally {
      broker.destroy();
      if (!broker.waitFor(45, TimeUnit.SECONDS)) {
        broker.destroyForcibly();
      }
    }
  }

  private static BigInteger servedSerial(SSLContext context, int port) throws Exception {
    try (SSLSocket socket = TlsListenersIT.tlsSocket(context, port)) {
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  /**
   * Waits for a line of the process's log: another process's output has no event to wait for, so it
   * is polled (Awaitility), as {@link BrokerProcess} does.
   */
  private static void awaitLog(Process broker, Path log, String text) {
    Awaitility.await("broker log line " + text)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              String written = Files.exists(log) ? Files.readString(log) : "";
              if (!written.contains(text) && !broker.isAlive()) {
                throw new AssertionError(
                    "the broker exited (" + broker.exitValue() + "): " + written);
              }
              return written.contains(text);
            });
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TestPki;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that SIGHUP makes a running broker process re-read its certificate at once: with the
 * file watch set to an hour, a replaced certificate is served to new TLS clients right after {@code
 * kill -HUP}, and the process keeps running (a JVM without a handler would have died: SIGHUP's
 * default action ends the process). And that a broker started with SIGHUP ignored ({@code nohup})
 * says so at start: the JVM installs no handler for an ignored SIGHUP, and its reloads would
 * silently not happen.
 */
@Timeout(120)
class SighupIT {

  private static final String IGNORED = "sighup_ignored";

  @Test
  void sighupServesTheReplacedCertificateToNewClients(@TempDir Path dir) throws Exception {
    // given a broker process with TLS on raw TCP, its file watch an hour apart
    TestPki pki = TestPki.create(dir, "hup-ca");
    TestPki.Issued served = pki.server("hup-server");
    int tlsPort = BrokerHarness.freePort();
    Path log = dir.resolve("broker.log");
    Process broker = start(dir, served, tlsPort, log, List.of());
    try {
      awaitLog(broker, log, "ready in");
      Assumptions.assumeFalse(
          Files.readString(log).contains(IGNORED),
          "the tests run with SIGHUP ignored (under nohup?), which their broker processes inherit");
      SSLContext trusting = TestPki.trusting(pki.ca().certFile());
      assertThat(servedSerial(trusting, tlsPort)).isEqualTo(served.certificate().getSerialNumber());

      // when the files are replaced and the operator sends SIGHUP
      TestPki.Issued renewed = pki.server("hup-renewed");
      TestPki.replace(served, renewed);
      hangUp(broker);

      // then the broker says it reloaded, and a new client gets the renewed certificate
      awaitLog(broker, log, "tls_reloaded listener=tcp trigger=signal");
      assertThat(servedSerial(trusting, tlsPort))
          .isEqualTo(renewed.certificate().getSerialNumber());
      assertThat(broker.isAlive()).isTrue();
    } finally {
      stop(broker);
    }
  }

  /**
   * Verifies that a broker with TLS started under {@code nohup} warns at start that {@code kill
   * -HUP} will not reload its certificates, and lives on when it gets one.
   */
  @Test
  void aBrokerStartedWithSighupIgnoredSaysSo(@TempDir Path dir) throws Exception {
    // given a broker process with TLS, started under nohup
    TestPki pki = TestPki.create(dir, "nohup-ca");
    TestPki.Issued served = pki.server("nohup-server");
    Path log = dir.resolve("broker.log");
    Process broker = start(dir, served, BrokerHarness.freePort(), log, List.of("nohup"));
    try {
      // when it is ready
      awaitLog(broker, log, "ready in");

      // then it has said that SIGHUP will not reload, before its ready line
      String written = Files.readString(log);
      assertThat(written).contains("WARN io.sessionbroker.broker.Main - " + IGNORED);
      assertThat(written.indexOf(IGNORED)).isLessThan(written.indexOf("ready in"));
      hangUp(broker);
      assertThat(broker.isAlive()).as("alive after a SIGHUP it ignores").isTrue();
    } finally {
      stop(broker);
    }
  }

  /** A broker process with TLS on raw TCP at {@code tlsPort}, the file watch an hour apart. */
  private static Process start(
      Path dir, TestPki.Issued served, int tlsPort, Path log, List<String> prefix)
      throws Exception {
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
    // with tls set, the bridge and HTTP listen on their TLS ports too: never the shipped ones here
    conf.getJsonObject("bridge")
        .put("port", BrokerHarness.freePort())
        .put("tlsPort", BrokerHarness.freePort());
    conf.getJsonObject("http")
        .put("port", BrokerHarness.freePort())
        .put("tlsPort", BrokerHarness.freePort());
    Path file = dir.resolve("broker.json");
    Files.writeString(file, conf.encodePrettily());
    List<String> command = new ArrayList<>(prefix);
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "--conf",
            file.toString()));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void hangUp(Process broker) throws Exception {
    Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(broker.pid())).start();
    assertThat(hup.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(hup.exitValue()).isZero();
  }

  private static void stop(Process broker) throws InterruptedException {
    broker.destroy();
    if (!broker.waitFor(45, TimeUnit.SECONDS)) {
      broker.destroyForcibly();
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

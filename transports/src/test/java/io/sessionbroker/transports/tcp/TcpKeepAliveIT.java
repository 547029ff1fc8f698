package io.sessionbroker.transports.tcp;

import static io.sessionbroker.cluster.CloseReason.CONNECTION_LOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that kernel TCP keepalive finds a device that vanished without FIN or RST, even with
 * application heartbeat 0. The test builds its own network namespace joined to this one by a veth
 * pair, runs a device inside it, then takes the namespace's link down: the device's packets
 * silently stop, as when it loses power or a NAT drops its mapping. Needs root and iproute2;
 * skipped with a message elsewhere.
 */
@Timeout(60)
class TcpKeepAliveIT {

  private static final String NAMESPACE = "sbka" + ProcessHandle.current().pid();
  private static final String HOST_VETH = "sbkah" + ProcessHandle.current().pid() % 100_000;
  private static final String DEVICE_VETH = "sbkad" + ProcessHandle.current().pid() % 100_000;
  // A /30 that exists only on the veth pair this test creates and removes.
  private static final String BROKER_ADDRESS = "10.254.77.1";
  private static final String DEVICE_ADDRESS = "10.254.77.2";
  private static final int IDLE_S = 1;
  private static final int INTERVAL_S = 1;
  private static final int COUNT = 2;
  private static final String SECRET = "keepalive-test-secret-0123456789";

  private Process device;

  @BeforeEach
  void createNamespace() throws Exception {
    assumeTrue(
        sh("ip", "-V") == 0, "iproute2 (ip) is not installed: cannot build a network namespace");
    assumeTrue(
        sh("ip", "netns", "add", NAMESPACE) == 0, "cannot create a network namespace (not root?)");
    run("ip", "link", "add", HOST_VETH, "type", "veth", "peer", "name", DEVICE_VETH);
    run("ip", "link", "set", DEVICE_VETH, "netns", NAMESPACE);
    run("ip", "addr", "add", BROKER_ADDRESS + "/30", "dev", HOST_VETH);
    run("ip", "link", "set", HOST_VETH, "up");
    run(
        "ip",
        "netns",
        "exec",
        NAMESPACE,
        "ip",
        "addr",
        "add",
        DEVICE_ADDRESS + "/30",
        "dev",
        DEVICE_VETH);
    run("ip", "netns", "exec", NAMESPACE, "ip", "link", "set", DEVICE_VETH, "up");
    run("ip", "netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up");
  }

  @AfterEach
  void removeNamespace() throws Exception {
    if (device != null) {
      device.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    sh("ip", "link", "del", HOST_VETH);
    sh("ip", "netns", "del", NAMESPACE);
  }

  @Test
  @ExpectCloses(CONNECTION_LOST)
  void deviceThatSilentlyVanishesIsClosedWithConnectionLostByKeepalive() throws Exception {
    // given the transport listening on the veth address with short keepalive settings
    JsonObject tcp =
        new JsonObject()
            .put("host", BROKER_ADDRESS)
            .put("keepAliveIdleS", IDLE_S)
            .put("keepAliveIntervalS", INTERVAL_S)
            .put("keepAliveCount", COUNT);
    try (TcpFixture fixture = new TcpFixture(tcp, DeviceAuth.withSecret(SECRET))) {
      String token = fixture.auth.tokenFor("vanishing-1");
      device =
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  NAMESPACE,
                  javaBinary(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  SilentDevice.class.getName(),
                  BROKER_ADDRESS,
                  String.valueOf(fixture.tcp.port()),
                  "vanishing-1",
                  token)
              .redirectErrorStream(true)
              .start();
      String welcome =
          new BufferedReader(new InputStreamReader(device.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertThat(new JsonObject(welcome).getInteger("heartbeat")).isZero();
      fixture.await(Addresses.OPENED, "vanishing-1");

      // when the device's link goes down: no FIN, no RST, nothing
      long cutAt = System.currentTimeMillis();
      run("ip", "netns", "exec", NAMESPACE, "ip", "link", "set", DEVICE_VETH, "down");

      // then keepalive probes go unanswered and the session closes with CONNECTION_LOST
      JsonObject closed =
          fixture.tables.await(
              Addresses.CLOSED,
              e -> "vanishing-1".equals(e.getString("deviceId")),
              Duration.ofSeconds(30));
      long detectedAfterMs = closed.getLong("at") - cutAt;
      System.out.println(
          "tcp keepalive detection after link down: "
              + detectedAfterMs
              + " ms (bound "
              + (IDLE_S + INTERVAL_S * COUNT + 2)
              + " s)");
      assertThat(closed.getString("reason")).isEqualTo("CONNECTION_LOST");
      assertThat(detectedAfterMs).isLessThanOrEqualTo((IDLE_S + INTERVAL_S * COUNT + 2) * 1000L);
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void run(String... command) throws IOException, InterruptedException {
    int exit = sh(command);
    if (exit != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited with " + exit);
    }
  }

  private static int sh(String... command) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of(command));
    try {
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      return process.waitFor(20, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}

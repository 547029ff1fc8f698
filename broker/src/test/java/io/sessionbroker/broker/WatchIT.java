package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code bin/broker watch} as an operator runs it: {@link Main} in a process of its own,
 * on a configuration file that names the bridge, printing one JSON line {@code
 * {"address":…,"body":…}} per event on standard output (README, docs/events.md).
 */
@Timeout(90)
class WatchIT {

  private static BrokerHarness harness;
  @TempDir static Path dir;
  private static Path conf;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
    conf = dir.resolve("broker.json");
    Files.writeString(conf, harness.conf.encodePrettily());
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void watchPrintsAnOpenAndACloseAsOneJsonLineEach() throws Exception {
    try (Watcher watch = Watcher.start("watch", "--conf", conf.toString())) {
      // given watch has said what it watches (it says so once its subscriptions are in place)
      String bridge = "127.0.0.1:" + harness.conf.getJsonObject("bridge").getInteger("port");
      assertThat(watch.errors.next(WAIT))
          .isEqualTo("watching sessions.opened sessions.closed sessions.rejected on " + bridge);

      // when a device opens a session and says goodbye
      try (TcpDevice device = harness.tcpDevice()) {
        JsonObject welcome = device.hello("watched-1", 30);
        device.send(new JsonObject().put("type", "bye"));
        assertThat(device.closedByBroker(WAIT)).isTrue();

        // then watch prints the open, then the close, each exactly as the bridge delivered it
        JsonObject opened = new JsonObject(watch.output.next(WAIT));
        assertThat(opened.fieldNames()).containsExactlyInAnyOrder("address", "body");
        assertThat(opened.getString("address")).isEqualTo(Addresses.OPENED);
        assertThat(opened.getJsonObject("body").getString("deviceId")).isEqualTo("watched-1");
        assertThat(opened.getJsonObject("body").getString("sessionId"))
            .isEqualTo(welcome.getString("session"));
        assertThat(opened.getJsonObject("body").getString("transport")).isEqualTo("tcp");
        JsonObject closed = new JsonObject(watch.output.next(WAIT));
        assertThat(closed.getString("address")).isEqualTo(Addresses.CLOSED);
        assertThat(closed.getJsonObject("body").getString("deviceId")).isEqualTo("watched-1");
        assertThat(closed.getJsonObject("body").getString("reason")).isEqualTo("CLIENT_CLOSED");
        assertThat(closed.getJsonObject("body").getLong("seq"))
            .isGreaterThan(opened.getJsonObject("body").getLong("seq"));
      }
    }
  }

  /**
   * Verifies that watch outlives the broker going away: it says so, reconnects by itself once the
   * broker is back, prints what was published meanwhile from the event log, and then goes on live,
   * with no event missing and none twice.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void watchReconnectsAndReplaysWhatItMissedWithoutAGapOrADuplicate() throws Exception {
    int bridgePort = harness.conf.getJsonObject("bridge").getInteger("port");
    try (CuttableProxy proxy = CuttableProxy.start(bridgePort);
        Watcher watch =
            Watcher.start(
                "watch", "--conf", conf.toString(), "--port", String.valueOf(proxy.port))) {
      assertThat(watch.errors.next(WAIT)).startsWith("watching ");
      TcpDevice first = harness.tcpDevice();
      first.hello("resume-1", 30);
      assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("opened resume-1");

      // when the broker goes away (for watch), and sessions open and close meanwhile
      proxy.cut();
      assertThat(watch.errors.next(WAIT))
          .startsWith("broker: watch: lost the broker on 127.0.0.1:" + proxy.port);
      first.send(new JsonObject().put("type", "bye"));
      harness.await(Addresses.CLOSED, "resume-1");
      try (TcpDevice second = harness.tcpDevice()) {
        second.hello("resume-2", 30);
        second.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "resume-2");
      }
      first.close();

      // then, once it is back, watch reconnects and prints what it missed, in order ...
      proxy.restore();
      assertThat(watch.errors.next(WAIT))
          .startsWith(
              "watch: reconnected to 127.0.0.1:"
                  + proxy.port
                  + "; replaying the event log from seq ");
      assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("closed resume-1");
      assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("opened resume-2");
      assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("closed resume-2");
      // ... and goes on live: the next line is the next event, nothing printed twice in between
      try (TcpDevice third = harness.tcpDevice()) {
        third.hello("resume-3", 30);
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("opened resume-3");
        third.send(new JsonObject().put("type", "bye"));
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("closed resume-3");
      }
    }
  }

  /**
   * Verifies that watch follows a standalone broker through a restart: the new broker's event log
   * starts again from 0, watch sees that it is another log and prints it from its start, so the
   * first session of the new broker is printed whether it opened before watch was back or after.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void watchFollowsABrokerThatRestartsAndPrintsItsNewLogFromItsStart() throws Exception {
    BrokerHarness before = BrokerHarness.start();
    boolean beforeClosed = false;
    int bridgePort = before.conf.getJsonObject("bridge").getInteger("port");
    try (Watcher watch =
        Watcher.start("watch", "--conf", conf.toString(), "--port", String.valueOf(bridgePort))) {
      assertThat(watch.errors.next(WAIT)).startsWith("watching ");
      try (TcpDevice device = new TcpDevice("127.0.0.1", before.broker.tcpPort())) {
        device.hello("restart-1", 30);
        device.send(new JsonObject().put("type", "bye"));
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("opened restart-1");
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("closed restart-1");
      }

      // when the broker restarts, and a device connects to the new one
      beforeClosed = true;
      before.close();
      assertThat(watch.errors.next(WAIT)).startsWith("broker: watch: lost the broker");
      try (BrokerHarness after =
              BrokerHarness.start(c -> c.getJsonObject("bridge").put("port", bridgePort));
          TcpDevice device = after.tcpDevice()) {
        device.hello("restart-2", 30);

        // then watch is back, says the log is a new one, and prints the new session once
        assertThat(watch.errors.next(WAIT))
            .isEqualTo(
                "watch: the broker's event log is not the one watched before (a standalone broker"
                    + " restarted): replaying it from its start");
        assertThat(watch.errors.next(WAIT))
            .isEqualTo(
                "watch: reconnected to 127.0.0.1:"
                    + bridgePort
                    + "; replaying the event log from seq 0");
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("opened restart-2");
        device.send(new JsonObject().put("type", "bye"));
        assertThat(deviceOf(watch.output.next(WAIT))).isEqualTo("closed restart-2");
      }
    } finally {
      if (!beforeClosed) {
        before.close();
      }
    }
  }

  /** {@code "opened resume-1"} for a line of watch. */
  private static String deviceOf(String line) {
    JsonObject event = new JsonObject(line);
    return event.getString("address").substring("sessions.".length())
        + " "
        + event.getJsonObject("body").getString("deviceId");
  }

  @Test
  void watchWithoutABrokerExitsOneAndSaysWhereItLooked() throws Exception {
    int nobody = BrokerHarness.freePort();
    try (Watcher watch =
        Watcher.start("watch", "--conf", conf.toString(), "--port", String.valueOf(nobody))) {
      assertThat(watch.exitCode()).isEqualTo(1);
      assertThat(watch.errors.next(WAIT))
          .startsWith("broker: watch: ")
          .contains("is a broker running with its bridge on 127.0.0.1:" + nobody);
    }
  }

  @Test
  void watchOfAnAddressTheBridgeRefusesExitsTwoAndSaysWhatItAllows() throws Exception {
    try (Watcher watch = Watcher.start("watch", "--conf", conf.toString(), "sessions.admin.kick")) {
      assertThat(watch.exitCode()).isEqualTo(2);
      assertThat(watch.errors.next(WAIT))
          .startsWith("broker: watch: the bridge refused")
          .contains(
              "sessions.admin.kick",
              "it allows sessions.opened sessions.closed sessions.rejected devices.inbound");
    }
  }

  /**
   * {@code Main} with {@code args} in a JVM of its own; its standard output and error, line by
   * line.
   */
  private static final class Watcher implements AutoCloseable {

    final Process process;
    final Lines output;
    final Lines errors;

    private Watcher(Process process) {
      this.process = process;
      this.output = new Lines(process.getInputStream());
      this.errors = new Lines(process.getErrorStream());
    }

    static Watcher start(String... args) throws IOException {
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty(
                      "surefire.test.class.path", System.getProperty("java.class.path")),
                  Main.class.getName()));
      command.addAll(List.of(args));
      return new Watcher(new ProcessBuilder(command).start());
    }

    int exitCode() throws InterruptedException {
      assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("watch exited").isTrue();
      return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The lines of a stream, read as they come by a thread of their own. */
  private static final class Lines {

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Lines(InputStream stream) {
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                  for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  // the process ended
                }
              },
              "watch-output");
      reader.setDaemon(true);
      reader.start();
    }

    String next(Duration timeout) throws InterruptedException {
      String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(line).as("a line within %s", timeout).isNotNull();
      return line;
    }
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies that a broker that cannot bind a listener stops its start at once, naming the listener
 * and the address (DESIGN §9: "A port in use stops the start at once, naming it"): in this JVM
 * ({@link Broker#start} fails with the message) and as an operator runs it (the process prints it
 * and exits 1). The bound on how fast is generous (a loaded 2-core machine); the figure measured is
 * printed.
 */
@Timeout(90)
class StartupFailureIT {

  /** Generous: a healthy failure takes well under a second here; the bug took 120 s. */
  private static final Duration FAST = Duration.ofSeconds(10);

  /**
   * Verifies that a TCP port held by another socket stops the start within seconds with {@code
   * <listener> 127.0.0.1:<port>: address in use}, for each TCP listener, the bridge and HTTP.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tcp", "mqtt", "websocket", "bridge", "http"})
  void aTcpPortInUseFailsTheStartAtOnceNamingTheListener(String listener) throws Exception {
    try (ServerSocket holder = holdTcpPort()) {
      // given a configuration whose listener's port is held
      int port = holder.getLocalPort();
      BrokerConfig config = config(conf -> conf.getJsonObject(listener).put("port", port));

      // when
      String failure = startFailure(config, listener);

      // then
      assertThat(failure).isEqualTo(listener + " 127.0.0.1:" + port + ": address in use");
    }
  }

  /**
   * Verifies that a second broker on the UDP port of a running one refuses to start instead of
   * sharing the port through SO_REUSEPORT (where the kernel would split the devices between two
   * session tables), and that the first keeps its port and its sockets.
   */
  @Test
  void aSecondBrokerOnTheUdpPortOfARunningOneRefusesToStart() throws Exception {
    // given a running broker on a UDP port (all its sockets with SO_REUSEPORT)
    Broker first =
        Broker.start(config(conf -> conf.getJsonObject("bridge").put("enabled", false)))
            .await(30, TimeUnit.SECONDS);
    try {
      int port = first.port(TransportName.UDP);
      BrokerConfig second = config(conf -> conf.getJsonObject("udp").put("port", port));

      // when another broker is started on the same UDP port
      String failure = startFailure(second, "udp");

      // then it fails, naming the port
      assertThat(failure).isEqualTo("udp 127.0.0.1:" + port + ": address in use");
      assertThat(first.port(TransportName.UDP)).isEqualTo(port);
    } finally {
      first.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Verifies that the broker process, started the way {@code bin/broker} starts it (Main on a
   * configuration file), exits non-zero within seconds and says which listener and port, when the
   * MQTT port or only the bridge port is in use.
   */
  @ParameterizedTest
  @ValueSource(strings = {"mqtt", "bridge"})
  void theProcessExitsNonZeroAtOnceNamingTheListenerAndPort(String listener, @TempDir Path dir)
      throws Exception {
    try (ServerSocket holder = holdTcpPort()) {
      // given a configuration file whose listener's port is held
      int port = holder.getLocalPort();
      JsonObject conf = conf(c -> c.getJsonObject(listener).put("port", port));
      Path file = dir.resolve("broker.json");
      Files.writeString(file, conf.encodePrettily());

      // when
      long started = System.nanoTime();
      Process broker =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName(),
                  "--conf",
                  file.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("broker.log").toFile())
              .start();
      try {
        boolean exited = broker.waitFor(FAST.toMillis(), TimeUnit.MILLISECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (!exited) {
          broker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(dir.resolve("broker.log"));

        // then
        assertThat(exited).as("exited within %s; output: %s", FAST, output).isTrue();
        System.out.printf("%s port in use: the process exited in %d ms%n", listener, ms);
        assertThat(broker.exitValue()).isEqualTo(1);
        assertThat(output)
            .contains("broker: failed to start: " + listener + " 127.0.0.1:" + port)
            .contains(": address in use")
            .doesNotContain("ready in")
            // told before the start-up rehearsal, not seconds later after it (PortCheck)
            .doesNotContain("warmup_");
      } finally {
        broker.destroyForcibly();
      }
    }
  }

  /**
   * The start's failure message; fails the test if the start succeeds or takes longer than {@link
   * #FAST}.
   */
  private static String startFailure(BrokerConfig config, String listener) throws Exception {
    long started = System.nanoTime();
    Broker broker;
    try {
      broker = Broker.start(config).await(FAST.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ListenerException e) {
      System.out.printf(
          "%s in use: Broker.start failed in %d ms%n",
          listener, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return e.getMessage();
    } catch (TimeoutException e) {
      throw new AssertionError("the start neither failed nor succeeded within " + FAST);
    }
    broker.stop().await(30, TimeUnit.SECONDS);
    throw new AssertionError("the broker started although its " + listener + " port was in use");
  }

  private static ServerSocket holdTcpPort() throws Exception {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }

  /**
   * The shipped configuration on free ports (a bridge port of its own), changed by {@code tweak}.
   */
  private static JsonObject conf(Consumer<JsonObject> tweak) throws Exception {
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    for (TransportName listener : TransportName.values()) {
      if (conf.containsKey(listener.id())) {
        conf.getJsonObject(listener.id()).put("port", 0);
      }
    }
    conf.getJsonObject("bridge").put("port", BrokerHarness.freePort());
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("shutdown").put("graceMs", 100);
    tweak.accept(conf);
    return conf;
  }

  private static BrokerConfig config(Consumer<JsonObject> tweak) throws Exception {
    return BrokerHarness.config(conf(tweak));
  }
}

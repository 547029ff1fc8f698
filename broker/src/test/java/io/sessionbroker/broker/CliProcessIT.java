package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the command line as a process, as a shell or a supervisor sees it: the exit code and
 * what goes to standard output and error, and that a refused start starts nothing.
 */
@Timeout(90)
class CliProcessIT {

  @TempDir Path dir;

  /** A finished process: exit code, standard output, standard error. */
  record Finished(int exit, String out, String err) {}

  @Test
  void aMistypedOptionExitsTwoWithTheUsageOnStandardErrorAndStartsNothing() throws Exception {
    Finished typo = runToEnd(Map.of(), "--port-ofset", "300");

    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.out()).isEmpty();
    assertThat(typo.err())
        .startsWith(
            "broker: Unknown options: '--port-ofset', '300'\nPossible solutions: --port-offset\n")
        .contains("Usage: bin/broker");
  }

  @Test
  void aBadSettingExitsTwoNamingIt() throws Exception {
    Path file = dir.resolve("broker.json");
    Files.writeString(file, "{\"tcp\":{\"port\":\"seventy\"}}");

    Finished bad = runToEnd(Map.of(), "--conf", file.toString());

    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).isEqualTo("broker: tcp.port: expected a number, got \"seventy\"\n");
  }

  @Test
  void anAdminCommandWithNoBrokerExitsOneAndHelpExitsZero() throws Exception {
    Finished unreachable =
        runToEnd(
            Map.of(), "sessions", "list", "--url", "http://127.0.0.1:" + BrokerHarness.freePort());
    assertThat(unreachable.exit()).isEqualTo(1);
    assertThat(unreachable.err()).startsWith("broker: cannot reach the broker's HTTP API at ");

    Finished help = runToEnd(Map.of(), "events", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).startsWith("Usage: bin/broker events").contains("--from=SEQ");
  }

  /**
   * Verifies that {@code log.level} reaches the logger: at {@code warn}, a broker's start logs no
   * INFO line (at the default {@code info}, each listener logs one).
   */
  @Test
  void logLevelFromTheEnvironmentSilencesTheInfoLines() throws Exception {
    List<String> lines = startLines(Map.of("BROKER_LOG_LEVEL", "warn"));

    assertThat(lines).anyMatch(l -> l.startsWith("listening tcp 127.0.0.1:"));
    assertThat(lines).noneMatch(l -> l.contains(" INFO "));
  }

  /** Verifies that {@code log.format json} makes every log line one JSON object, for a shipper. */
  @Test
  void logFormatJsonWritesOneJsonObjectPerEvent() throws Exception {
    List<String> lines = startLines(Map.of("BROKER_LOG_FORMAT", "json"));

    List<JsonObject> logged =
        lines.stream().filter(l -> l.startsWith("{")).map(JsonObject::new).toList();
    assertThat(lines).noneMatch(l -> l.contains(" INFO "));
    assertThat(logged)
        .anySatisfy(
            event -> {
              assertThat(event.getString("level")).isEqualTo("INFO");
              assertThat(event.getString("loggerName"))
                  .isEqualTo("io.sessionbroker.transports.tcp.TcpTransport");
              assertThat(event.getString("formattedMessage"))
                  .startsWith("listener_up transport=tcp ");
            });
  }

  /** Starts a broker on free ports with {@code env}; its output (log included) up to "ready". */
  private List<String> startLines(Map<String, String> env) throws Exception {
    JsonObject conf = new JsonObject();
    for (String listener : List.of("tcp", "udp", "mqtt", "websocket", "http")) {
      conf.put(listener, new JsonObject().put("port", 0));
    }
    conf.put("bridge", new JsonObject().put("port", BrokerHarness.freePort()));
    Path file = dir.resolve("broker-" + System.nanoTime() + ".json");
    Files.writeString(file, conf.encode());
    Process broker = start(env, true, "--conf", file.toString());
    try {
      List<String> lines = new ArrayList<>();
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
        if (line.contains(" ready in ")) {
          return lines;
        }
      }
      throw new AssertionError("the broker ended before it was ready: " + lines);
    } finally {
      broker.destroy();
      broker.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static Process start(Map<String, String> env, boolean mergeErrors, String... args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(mergeErrors);
    builder.environment().putAll(env);
    return builder.start();
  }

  private static Finished runToEnd(Map<String, String> env, String... args) throws Exception {
    Process process = start(env, false, args);
    process.getOutputStream().close();
    // Both streams are small; read them to the end, then the exit code.
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
    return new Finished(process.exitValue(), out, err);
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the command line as an operator meets it: the help, and that every mistake (a mistyped
 * option, a stray argument, an option of another command, a bad setting) is refused with what to
 * fix and exit code 2 before anything runs. (A mistake that slipped through would start a broker:
 * the timeout ends such a test.)
 */
@Timeout(30)
class MainTest {

  @TempDir Path dir;

  /** What one run of the command line printed and returned. */
  record Result(int exit, String out, String err) {}

  static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  static Result run(String... args) {
    return run(Map.of(), args);
  }

  @Test
  void helpListsEveryCommandTheSharedOptionsAndTheEnvironmentRule() {
    Result help = run("--help");

    assertThat(help.exit()).isZero();
    assertThat(help.out())
        .startsWith("Usage: bin/broker [-hV] [--cluster] [--conf=FILE] [--port-offset=N] [COMMAND]")
        .contains("run ", "watch ", "sessions ", "events ", "token ", "config ")
        .contains("--conf=FILE", "--port-offset=N", "--cluster", "BROKER_TCP_PORT")
        .contains("Exit codes: 0 done, 1 failed, 2 wrong usage or configuration.");
  }

  @Test
  void eachCommandHasItsOwnHelpWithItsOwnOptions() {
    Result help = run("sessions", "list", "--help");

    assertThat(help.exit()).isZero();
    assertThat(help.out())
        .startsWith("Usage: bin/broker sessions list")
        .contains(
            "--transport=NAME", "--offset=N", "--limit=N", "--url=URL", "--token=TOKEN", "--json")
        .contains("--conf=FILE", "--port-offset=N");
  }

  @Test
  void aMistypedOptionIsRefusedWithWhatWasMeantAndExitCodeTwo() {
    Result typo = run("--port-ofset", "300");

    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.out()).isEmpty();
    assertThat(typo.err())
        .isEqualTo(
            """
            broker: Unknown options: '--port-ofset', '300'
            Possible solutions: --port-offset
            Usage: bin/broker [-hV] [--cluster] [--conf=FILE] [--port-offset=N] [COMMAND]
            Try 'bin/broker --help' for more information.
            """);
  }

  @Test
  void aStrayArgumentIsRefused() {
    Result stray = run("config", "tcp.port");

    assertThat(stray.exit()).isEqualTo(2);
    assertThat(stray.err())
        .startsWith("broker: Unmatched argument at index 1: 'tcp.port'\n")
        .contains("Usage: bin/broker config");
  }

  @Test
  void aMistypedCommandIsRefusedWithTheCommandMeant() {
    Result typo = run("sesions", "list");

    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err())
        .startsWith("broker: Unmatched arguments from index 0: 'sesions', 'list'\n")
        .contains("Did you mean: bin/broker sessions");
  }

  @Test
  void anOptionOfAnotherCommandIsRefused() {
    Result wrong = run("watch", "--transport", "tcp");

    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err()).startsWith("broker: Unknown option: '--transport'");
  }

  @Test
  void clusterBeforeACommandThatDoesNotTakeItIsRefused() {
    Result wrong = run("--cluster", "sessions", "count");

    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err())
        .isEqualTo("broker: --cluster applies to run and config, not to the admin commands\n");
  }

  @Test
  void aPortOffsetThatIsNoNumberIsRefused() {
    Result wrong = run("--port-offset", "ten", "config");

    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err())
        .startsWith("broker: Invalid value for option '--port-offset': 'ten' is not an int\n");
  }

  @Test
  void sessionsWantsASubcommandAndKickADevice() {
    assertThat(run("sessions").err())
        .startsWith("broker: Missing command: list, get, count or kick\n");
    assertThat(run("sessions").exit()).isEqualTo(2);
    Result kick = run("sessions", "kick");
    assertThat(kick.exit()).isEqualTo(2);
    assertThat(kick.err()).startsWith("broker: Missing required parameter: 'DEVICE'\n");
  }

  @Test
  void configPrintsEachValueWithItsOrigin() throws IOException {
    Path file = dir.resolve("broker.json");
    Files.writeString(
        file, "{\"tcp\":{\"port\":7100,\"maxFrameBytes\":8192},\"table\":{\"tickMs\":10}}");

    Result config =
        run(
            Map.of("BROKER_UDP_PORT", "7200", "BROKER_NODE_ID", "edge-1"),
            "config",
            "--conf",
            file.toString(),
            "--port-offset",
            "5");

    assertThat(config.exit()).isZero();
    assertThat(config.out().lines())
        .anyMatch(l -> l.matches("node\\.id +\"edge-1\" +env BROKER_NODE_ID"))
        .anyMatch(l -> l.matches("table\\.tickMs +10 +file"))
        .anyMatch(l -> l.matches("table\\.maxEvictionsPerTick +500 +default"))
        .anyMatch(l -> l.matches("tcp\\.maxFrameBytes +8192 +file \\(= default\\)"))
        .anyMatch(l -> l.matches("tcp\\.port +7105 +flag --port-offset 5 on file 7100"))
        .anyMatch(
            l -> l.matches("udp\\.port +7205 +flag --port-offset 5 on env BROKER_UDP_PORT 7200"))
        .anyMatch(l -> l.matches("http\\.port +7075 +flag --port-offset 5 on default 7070"))
        .anyMatch(l -> l.matches("cluster\\.enabled +false +default"));
  }

  @Test
  void configHidesSecrets() {
    Result config = run(Map.of("BROKER_AUTH_SECRET", "0123456789abcdef-secret"), "config");

    assertThat(config.exit()).isZero();
    assertThat(config.out()).doesNotContain("0123456789abcdef-secret");
    assertThat(config.out().lines())
        .anyMatch(l -> l.matches("auth\\.secret +\\(set, hidden\\) +env BROKER_AUTH_SECRET"));
  }

  @Test
  void aMistypedSettingStopsConfigAndRunWithThePathAndWhatWasMeant() throws IOException {
    Path file = dir.resolve("typo.json");
    Files.writeString(file, "{\"tcp\":{\"prot\":7000}}");

    for (String command : new String[] {"config", "run"}) {
      Result typo = run(command, "--conf", file.toString());

      assertThat(typo.exit()).as(command).isEqualTo(2);
      assertThat(typo.err())
          .isEqualTo("broker: tcp.prot: unknown setting (did you mean tcp.port?)\n");
    }
  }

  @Test
  void aValueOfTheWrongTypeStopsTheStartWithThePath() throws IOException {
    Path file = dir.resolve("seventy.json");
    Files.writeString(file, "{\"tcp\":{\"port\":\"seventy\"}}");

    Result wrong = run("--conf", file.toString());

    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err()).isEqualTo("broker: tcp.port: expected a number, got \"seventy\"\n");
  }

  @Test
  void tokenNeedsTheSecret() {
    Result none = run("token", "sensor-1");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err())
        .isEqualTo("broker: auth.secret is not set (BROKER_AUTH_SECRET): tokens are not in use\n");

    Result token = run(Map.of("BROKER_AUTH_SECRET", "0123456789abcdef"), "token", "sensor-1");
    assertThat(token.exit()).isZero();
    assertThat(token.out()).matches("[A-Za-z0-9_-]{43}\n");
  }

  @Test
  void anAdminCommandWithoutABrokerSaysWhereItLookedAndExitsOne() throws IOException {
    int nobody = BrokerHarness.freePort();

    Result count = run("sessions", "count", "--url", "http://127.0.0.1:" + nobody);

    assertThat(count.exit()).isEqualTo(1);
    assertThat(count.err())
        .startsWith(
            "broker: cannot reach the broker's HTTP API at http://127.0.0.1:" + nobody + " (")
        .endsWith("is a broker running there? (--url, or http.host/http.port and --port-offset)\n");
  }
}

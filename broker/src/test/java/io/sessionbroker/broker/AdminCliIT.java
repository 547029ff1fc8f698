package io.sessionbroker.broker;

import static io.sessionbroker.cluster.CloseReason.KICKED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.broker.MainTest.Result;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the admin commands ({@code bin/broker sessions …}, {@code events}) against a running
 * broker with an admin token: the command line's own code ({@link Main#execute}) talking to the
 * broker's HTTP API, finding its address and token in the configuration file and the environment,
 * as an operator runs it.
 */
@Timeout(60)
class AdminCliIT {

  private static final String TOKEN = "cli-admin-token-0123456789";

  private static BrokerHarness harness;
  @TempDir static Path dir;
  private static Path conf;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(c -> c.getJsonObject("http").put("adminToken", TOKEN));
    // what an operator's file would say: the port the broker listens on, but not the token
    JsonObject file = harness.conf.copy();
    file.getJsonObject("http").put("port", harness.broker.httpPort()).put("adminToken", "");
    conf = dir.resolve("broker.json");
    Files.writeString(conf, file.encodePrettily());
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  private static Result cli(String... args) {
    String[] withConf = new String[args.length + 2];
    System.arraycopy(args, 0, withConf, 0, args.length);
    withConf[args.length] = "--conf";
    withConf[args.length + 1] = conf.toString();
    return MainTest.run(Map.of("BROKER_HTTP_ADMIN_TOKEN", TOKEN), withConf);
  }

  @Test
  @ExpectCloses(KICKED)
  void listShowsTheSessionAndKickClosesIt() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given a device with a session
      String session = device.hello("cli-list-1", 30).getString("session");

      // when the operator lists the sessions
      Result list = cli("sessions", "list", "--transport", "tcp");

      // then it is a row of the table, under the header
      assertThat(list.exit()).as(list.err()).isZero();
      List<String> lines = list.out().lines().toList();
      assertThat(lines.get(0))
          .matches("DEVICE +TRANSPORT +NODE +REMOTE +CONNECTED +LAST SEEN +TIMEOUT");
      assertThat(lines)
          .anyMatch(
              l ->
                  l.matches(
                      "cli-list-1 +tcp +"
                          + harness.broker.nodeId()
                          + " +127\\.0\\.0\\.1:\\d+ +\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z +\\d+\\.\\d s ago +45\\.0 s"));
      assertThat(lines.get(lines.size() - 1)).matches("1-\\d+ of \\d+ sessions?");

      // and get shows it field by field, --json as the API has it
      Result get = cli("sessions", "get", "cli-list-1");
      assertThat(get.out().lines()).anyMatch(l -> l.matches("sessionId +" + session));
      JsonObject json = new JsonObject(cli("sessions", "get", "cli-list-1", "--json").out());
      assertThat(json.getString("sessionId")).isEqualTo(session);
      // "show", the word of the command's description, is the same command
      assertThat(cli("sessions", "show", "cli-list-1").out().lines())
          .anyMatch(l -> l.matches("sessionId +" + session));

      // when the operator kicks it
      Result kick = cli("sessions", "kick", "cli-list-1");

      // then the command says so, and the session closes with KICKED
      assertThat(kick.exit()).as(kick.err()).isZero();
      assertThat(kick.out()).isEqualTo("kicked cli-list-1\n");
      assertThat(harness.await(Addresses.CLOSED, "cli-list-1").getString("reason"))
          .isEqualTo("KICKED");

      // and a second kick finds nothing to kick: exit code 1, with the API's reason
      Result again = cli("sessions", "kick", "cli-list-1");
      assertThat(again.exit()).isEqualTo(1);
      assertThat(again.err()).isEqualTo("broker: no open session for cli-list-1\n");
    }
  }

  @Test
  void countAndEventsReportWhatTheBrokerHas() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("cli-count-1", 30);
      long seq = harness.await(Addresses.OPENED, "cli-count-1").getLong("seq");

      Result count = cli("sessions", "count");
      assertThat(count.exit()).as(count.err()).isZero();
      assertThat(count.out())
          .containsPattern(
              "\\d+ sessions?\n  by transport: .*tcp \\d+.*\n  by node:      "
                  + harness.broker.nodeId()
                  + " \\d+\n");

      Result events = cli("events", "--from", String.valueOf(seq), "--limit", "1");
      assertThat(events.exit()).as(events.err()).isZero();
      assertThat(events.out())
          .matches(
              seq
                  + "  \\d{4}-[0-9-]+T[0-9:.]+Z  opened    cli-count-1 +tcp +"
                  + harness.broker.nodeId()
                  + "  session \\w+\n");
      JsonObject raw =
          new JsonObject(
              cli("events", "--from", String.valueOf(seq), "--limit", "1", "--json").out());
      assertThat(raw.getLong("seq")).isEqualTo(seq);
      assertThat(raw.getString("address")).isEqualTo(Addresses.OPENED);
    }
  }

  @Test
  void withoutTheAdminTokenTheBrokerRefusesAndTheCommandSaysHowToGiveIt() {
    Result refused = MainTest.run(Map.of(), "sessions", "count", "--conf", conf.toString());

    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err())
        .startsWith(
            "broker: the broker wants its admin token: --token TOKEN or BROKER_HTTP_ADMIN_TOKEN (");

    Result given =
        MainTest.run(Map.of(), "sessions", "count", "--conf", conf.toString(), "--token", TOKEN);
    assertThat(given.exit()).as(given.err()).isZero();
  }
}

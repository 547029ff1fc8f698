package io.sessionbroker.broker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker bans list|lift}: the devices a running broker refuses for flapping (every
 * node's), through its HTTP API ({@link AdminClient}); {@code --json} for scripts.
 */
@Command(
    name = "bans",
    mixinStandardHelpOptions = true,
    description = "List or lift the flapping bans of a running broker (every node's).",
    synopsisSubcommandLabel = "(list | lift)")
final class BansCommand implements Runnable {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  /** {@code bin/broker bans} alone: a subcommand is required. */
  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "Missing command: list or lift");
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the devices banned for flapping, and until when.")
  int list(@Mixin AdminOptions admin) {
    JsonObject answer = admin.client(main).get("/api/bans");
    if (admin.json) {
      out().println(answer.encode());
      return 0;
    }
    JsonArray bans = answer.getJsonArray("bans");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"DEVICE", "NODE", "UNTIL", "LEFT"});
    long now = System.currentTimeMillis();
    for (Object item : bans) {
      JsonObject ban = (JsonObject) item;
      rows.add(
          new String[] {
            ban.getString("deviceId"),
            ban.getString("node"),
            Show.time(ban.getLong("until")),
            Show.seconds(Math.max(0, ban.getLong("until") - now))
          });
    }
    if (bans.isEmpty()) {
      out().println("no bans");
    } else {
      Show.table(out(), rows);
    }
    Show.unreachable(out(), answer);
    return 0;
  }

  @Command(
      name = "lift",
      mixinStandardHelpOptions = true,
      description =
          "Lift a device's ban on every node; it may connect at once. Exit code 1 when it has none.")
  int lift(
      @Mixin AdminOptions admin,
      @Parameters(paramLabel = "DEVICE", description = "device id") String device) {
    JsonObject lifted = admin.client(main).delete("/api/bans/" + AdminClient.segment(device));
    if (admin.json) {
      out().println(lifted.encode());
    } else {
      out().println("lifted the ban of " + lifted.getString("deviceId", device));
      Show.unreachable(out(), lifted);
    }
    return 0;
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker sessions list|get|count|kick}: the live sessions of a running broker (the whole
 * cluster), through its HTTP API ({@link AdminClient}); a table for people, {@code --json} for
 * scripts.
 */
@Command(
    name = "sessions",
    mixinStandardHelpOptions = true,
    description =
        "List, show, count or kick the live sessions of a running broker (the whole cluster).",
    synopsisSubcommandLabel = "(list | get | count | kick)")
final class SessionsCommand implements Runnable {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  /** {@code bin/broker sessions} alone: a subcommand is required. */
  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "Missing command: list, get, count or kick");
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List live sessions, oldest first.")
  int list(
      @Mixin AdminOptions admin,
      @Option(
              names = "--transport",
              paramLabel = "NAME",
              description = "only this transport: tcp, udp, mqtt, websocket")
          String transport,
      @Option(
              names = "--offset",
              paramLabel = "N",
              defaultValue = "0",
              description = "skip the first N (default: ${DEFAULT-VALUE})")
          int offset,
      @Option(
              names = "--limit",
              paramLabel = "N",
              defaultValue = "100",
              description = "at most N, 1..1000 (default: ${DEFAULT-VALUE})")
          int limit) {
    String query = "/api/sessions?offset=" + offset + "&limit=" + limit;
    if (transport != null) {
      query += "&transport=" + AdminClient.segment(transport);
    }
    JsonObject page = admin.client(main).get(query);
    if (admin.json) {
      out().println(page.encode());
      return 0;
    }
    JsonArray sessions = page.getJsonArray("sessions");
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "DEVICE", "TRANSPORT", "NODE", "REMOTE", "CONNECTED", "LAST SEEN", "TIMEOUT"
        });
    long now = System.currentTimeMillis();
    for (Object item : sessions) {
      JsonObject s = (JsonObject) item;
      rows.add(
          new String[] {
            s.getString("deviceId"),
            s.getString("transport"),
            s.getString("node"),
            String.valueOf(s.getString("remote")),
            Show.time(s.getLong("connectedAt")),
            Show.seconds(now - s.getLong("lastSeenAt")) + " ago",
            Show.seconds(s.getLong("timeoutMs"))
          });
    }
    if (!sessions.isEmpty()) {
      Show.table(out(), rows);
    }
    int shown = sessions.size();
    int total = page.getInteger("total");
    out()
        .println(
            shown == 0
                ? "no sessions"
                    + (total > 0 ? " from offset " + offset + " (" + total + " in all)" : "")
                : (offset + 1)
                    + "-"
                    + (offset + shown)
                    + " of "
                    + total
                    + " session"
                    + (total == 1 ? "" : "s")
                    + (offset + shown < total
                        ? " (--offset " + (offset + shown) + " for more)"
                        : ""));
    Show.unreachable(out(), page);
    return 0;
  }

  @Command(
      name = "get",
      aliases = "show", // the word the command's own description and an operator's fingers use
      mixinStandardHelpOptions = true,
      description = "Show the live session of a device.")
  int get(
      @Mixin AdminOptions admin,
      @Parameters(paramLabel = "DEVICE", description = "device id or session id") String device) {
    JsonObject session = admin.client(main).get("/api/sessions/" + AdminClient.segment(device));
    if (admin.json) {
      out().println(session.encode());
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    for (String field : session.fieldNames()) {
      Object value = session.getValue(field);
      String shown =
          field.endsWith("At") && value instanceof Number at
              ? Show.time(at.longValue())
              : field.endsWith("Ms") && value instanceof Number ms
                  ? Show.seconds(ms.longValue())
                  : String.valueOf(value);
      rows.add(new String[] {field, shown});
    }
    Show.table(out(), rows);
    return 0;
  }

  @Command(
      name = "count",
      mixinStandardHelpOptions = true,
      description = "Count live sessions, by transport and by node.")
  int count(@Mixin AdminOptions admin) {
    JsonObject count = admin.client(main).get("/api/sessions/count");
    if (admin.json) {
      out().println(count.encode());
      return 0;
    }
    int total = count.getInteger("total");
    out().println(total + " session" + (total == 1 ? "" : "s"));
    out().println("  by transport: " + Show.counts(count.getJsonObject("byTransport")));
    out().println("  by node:      " + Show.counts(count.getJsonObject("byNode")));
    Show.unreachable(out(), count);
    return 0;
  }

  @Command(
      name = "kick",
      mixinStandardHelpOptions = true,
      description = "Close a device's session with reason KICKED. Exit code 1 when it has none.")
  int kick(
      @Mixin AdminOptions admin,
      @Parameters(paramLabel = "DEVICE", description = "device id or session id") String device) {
    JsonObject kicked = admin.client(main).delete("/api/sessions/" + AdminClient.segment(device));
    if (admin.json) {
      out().println(kicked.encode());
    } else {
      out().println("kicked " + kicked.getString("target", device));
      Show.unreachable(out(), kicked);
    }
    return 0;
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }
}

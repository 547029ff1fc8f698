package io.sessionbroker.broker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker events --from SEQ}: the session events of the replay log from a sequence number
 * to its end ({@code GET /api/events?fromSeq=}), one line each; {@code --json}: one JSON object per
 * line, as the log holds it ({@code {"seq":…,"address":…,"body":…}}).
 */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description =
        "Print the session events of the replay log from seq SEQ on (opens, closes, rejections).")
final class EventsCommand implements Callable<Integer> {

  /** The API's largest page. */
  static final int PAGE = 1_000;

  @ParentCommand Main main;
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Option(
      names = "--from",
      paramLabel = "SEQ",
      defaultValue = "0",
      description = "first sequence number (default: ${DEFAULT-VALUE}, the oldest the log keeps)")
  long from;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "at most N events (default: all to the end of the log)")
  Long limit;

  @Override
  public Integer call() {
    if (from < 0 || (limit != null && limit < 1)) {
      throw new IllegalArgumentException("--from must be >= 0 and --limit >= 1");
    }
    AdminClient client = admin.client(main);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long next = from;
    long printed = 0;
    while (limit == null || printed < limit) {
      long max = limit == null ? PAGE : Math.min(PAGE, limit - printed);
      JsonObject page = client.get("/api/events?fromSeq=" + next + "&max=" + max);
      if (page.getBoolean("gap", false)) {
        err.println(
            "broker: events "
                + next
                + " to "
                + (page.getLong("oldestSeq") - 1)
                + " are no longer in the log; it starts at "
                + page.getLong("oldestSeq"));
      }
      JsonArray events = page.getJsonArray("events");
      for (Object event : events) {
        out.println(admin.json ? ((JsonObject) event).encode() : Show.event((JsonObject) event));
      }
      printed += events.size();
      if (events.isEmpty()) {
        if (next > page.getLong("nextSeq")) {
          err.println(
              "broker: the log ends before seq "
                  + next
                  + ": its next event is "
                  + page.getLong("nextSeq"));
        }
        break;
      }
      next = page.getLong("nextSeq");
    }
    return 0;
  }
}

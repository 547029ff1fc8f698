package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker watch}: subscribes through the TCP event bus bridge and prints each event as
 * one JSON line {@code {"address":…,"body":…}}, so it can be piped into {@code jq} or a log.
 *
 * <p>Like {@code mosquitto_sub}, it stays when the broker goes away: it reconnects with a backoff
 * (0.5 s doubling to 10 s) and, once back, replays from the event log ({@code
 * sessions.admin.events}) every event after the last one it printed, so the output has no gap and
 * no event twice. It subscribes before it replays, so an event published meanwhile is either in the
 * replay or arrives live; one in both is printed once (by its {@code seq}). {@code devices.inbound}
 * is not in the log: what devices sent while watch was away is lost.
 */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Print the events of a running broker as JSON lines, one per event, like mosquitto_sub.",
      "Reconnects when the broker goes away and resumes without a gap (from the event log)."
    })
final class WatchCommand implements Callable<Integer> {

  static final List<String> DEFAULT_ADDRESSES =
      List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      description = "bridge host (default: bridge.host of the configuration)")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "bridge port (default: bridge.port of the configuration)")
  Integer port;

  @Parameters(
      paramLabel = "ADDRESS",
      arity = "0..*",
      description =
          "what to watch (default: sessions.opened sessions.closed sessions.rejected; also devices.inbound)")
  List<String> addresses;

  private PrintWriter out;

  /** {@code http.adminToken}: the bridge asks for it on every frame when it is set. */
  private String token;

  private PrintWriter err;
  private final Backoff backoff = new Backoff(500, 10_000);

  /** Where a replay after a lost connection starts. */
  private ResumePoint resume;

  @Override
  public Integer call() throws InterruptedException {
    main.refuseClusterFlag("watch");
    JsonObject json = main.configuration(false).json();
    JsonObject bridge = json.getJsonObject("bridge");
    token = json.getJsonObject("http").getString("adminToken", "");
    host = host != null ? host : bridge.getString("host");
    port = port != null ? port : bridge.getInteger("port");
    addresses = addresses == null || addresses.isEmpty() ? DEFAULT_ADDRESSES : addresses;
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    BridgeClient client;
    try {
      client = connect();
      resume = new ResumePoint(ResumePoint.read(client, Long.MAX_VALUE, 1).getLong("nextSeq"));
    } catch (IOException | AssertionError e) {
      err.println(
          "broker: watch: "
              + e.getMessage()
              + " (is a broker running with its bridge on "
              + where()
              + "?)");
      return 1;
    }
    err.println("watching " + String.join(" ", addresses) + " on " + where());
    Set<Long> replayed = Set.of();
    while (true) {
      try {
        follow(client, replayed);
      } catch (IOException lost) {
        closeQuietly(client);
        err.println(
            "broker: watch: lost the broker on "
                + where()
                + " ("
                + lost.getMessage()
                + "); reconnecting");
        client = reconnect();
        replayed = replay(client);
      }
    }
  }

  /** Connects and subscribes; a subscription the bridge refuses is a usage error. */
  private BridgeClient connect() throws IOException, InterruptedException {
    BridgeClient client = new BridgeClient(host, port, token);
    try {
      client.registerAndSync(addresses.toArray(String[]::new));
      return client;
    } catch (
        IllegalStateException refused) { // the bridge answered a subscription with an err frame
      closeQuietly(client);
      throw new IllegalArgumentException(
          "watch: the bridge refused to subscribe to "
              + String.join(" ", addresses)
              + "; it allows "
              + String.join(" ", EventBridge.PUBLISHED)
              + " ("
              + refused.getMessage()
              + ")");
    } catch (AssertionError silent) { // the bridge took the connection but did not answer in time
      closeQuietly(client);
      throw new IOException("the bridge did not answer", silent);
    }
  }

  /** Tries again after 0.5 s, 1 s, 2 s … up to 10 s between attempts, until the broker is back. */
  private BridgeClient reconnect() throws InterruptedException {
    while (true) {
      Thread.sleep(backoff.next());
      try {
        BridgeClient client = connect();
        backoff.reset();
        return client;
      } catch (IOException stillAway) {
        // the next attempt, after a longer pause
      }
    }
  }

  /**
   * Prints, from the log, what was published while away; returns the seqs printed, so that their
   * live copies (published between the subscription and the read) are skipped.
   */
  private Set<Long> replay(BridgeClient client) throws InterruptedException {
    Set<Long> printed = new HashSet<>();
    try {
      long from = resume.from(client, err);
      err.println(
          "watch: reconnected to " + where() + "; replaying the event log from seq " + from);
      while (true) {
        JsonObject page = ResumePoint.read(client, from, 1_000);
        if (page.getJsonArray("events").isEmpty()) {
          return printed;
        }
        for (Object item : page.getJsonArray("events")) {
          JsonObject entry = (JsonObject) item;
          long seq = entry.getLong("seq");
          JsonObject body = entry.getJsonObject("body").copy().put("seq", seq);
          if (addresses.contains(entry.getString("address"))) {
            print(entry.getString("address"), body);
            printed.add(seq);
          }
          resume.seen(entry.getString("address"), body);
        }
        from = page.getLong("nextSeq");
      }
    } catch (IOException | IllegalStateException | AssertionError e) {
      err.println(
          "broker: watch: could not replay the event log ("
              + e.getMessage()
              + "): events while away may be missing");
      return printed;
    }
  }

  /** Prints every event as it arrives, until the connection is lost. */
  private void follow(BridgeClient client, Set<Long> replayed)
      throws IOException, InterruptedException {
    while (true) {
      JsonObject frame = client.next(Duration.ofDays(1));
      if (frame != null && "message".equals(frame.getString("type"))) {
        Object body = frame.getValue("body");
        Long seq = body instanceof JsonObject event ? event.getLong("seq") : null;
        if (seq != null && replayed.contains(seq)) {
          continue;
        }
        print(frame.getString("address"), body);
        resume.seen(frame.getString("address"), body);
      } else if (frame != null && "err".equals(frame.getString("type"))) {
        err.println("bridge error: " + frame.getString("message"));
      }
    }
  }

  private void print(String address, Object body) {
    out.println(new JsonObject().put("address", address).put("body", body).encode());
  }

  private String where() {
    return host + ":" + port;
  }

  private static void closeQuietly(BridgeClient client) {
    try {
      client.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}

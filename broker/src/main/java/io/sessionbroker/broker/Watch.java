package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/broker watch}: subscribes through the TCP event bus bridge and prints each event as
 * one JSON line {@code {"address":…,"body":…}}, so it can be piped into {@code jq} or a log.
 */
final class Watch {

  private Watch() {}

  /**
   * Subscribes and waits until the bridge has taken every subscription, so that "watching" is
   * printed only once no event can be missed; an address the bridge refuses is a usage error.
   */
  private static void subscribe(BridgeClient client, List<String> addresses)
      throws IOException, InterruptedException {
    try {
      client.registerAndSync(addresses.toArray(String[]::new));
    } catch (
        IllegalStateException refused) { // the bridge answered a subscription with an err frame
      throw new IllegalArgumentException(
          "watch: the bridge refused to subscribe to "
              + String.join(" ", addresses)
              + "; it allows "
              + String.join(" ", EventBridge.PUBLISHED)
              + " ("
              + refused.getMessage()
              + ")");
    }
  }

  static int run(JsonObject conf, List<String> args) {
    JsonObject bridge = conf.getJsonObject("bridge", new JsonObject());
    String host = bridge.getString("host", "127.0.0.1");
    int port = bridge.getInteger("port", 7900);
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--host" -> host = Main.Arguments.value(args.toArray(String[]::new), ++i, "--host");
        case "--port" ->
            port =
                Integer.parseInt(Main.Arguments.value(args.toArray(String[]::new), ++i, "--port"));
        default -> addresses.add(args.get(i));
      }
    }
    if (addresses.isEmpty()) {
      addresses = List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED);
    }
    try (BridgeClient client = new BridgeClient(host, port)) {
      subscribe(client, addresses);
      System.err.println("watching " + String.join(" ", addresses) + " on " + host + ":" + port);
      while (true) {
        JsonObject frame = client.next(Duration.ofDays(1));
        if (frame != null && "message".equals(frame.getString("type"))) {
          System.out.println(
              new JsonObject()
                  .put("address", frame.getString("address"))
                  .put("body", frame.getValue("body"))
                  .encode());
        } else if (frame != null && "err".equals(frame.getString("type"))) {
          System.err.println("bridge error: " + frame.getString("message"));
        }
      }
    } catch (IOException e) {
      System.err.println(
          "broker: watch: "
              + e.getMessage()
              + " (is a broker running with its bridge on "
              + host
              + ":"
              + port
              + "?)");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}

package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/broker watch}: subscribes through the TCP event bus bridge and prints each event as one JSON line
 * {@code {"address":…,"body":…}}, so it can be piped into {@code jq} or a log.
 */
final class Watch {

  private Watch() {}

  static int run(JsonObject conf, List<String> args) {
    JsonObject bridge = conf.getJsonObject("bridge", new JsonObject());
    String host = bridge.getString("host", "127.0.0.1");
    int port = bridge.getInteger("port", 7900);
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--host" -> host = Main.Arguments.value(args.toArray(String[]::new), ++i, "--host");
        case "--port" -> port = Integer.parseInt(Main.Arguments.value(args.toArray(String[]::new), ++i, "--port"));
        default -> addresses.add(args.get(i));
      }
    }
    if (addresses.isEmpty()) {
      addresses = List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED);
    }
    try (BridgeClient client = new BridgeClient(host, port)) {
      for (String address : addresses) {
        client.register(address);
      }
      System.err.println("watching " + String.join(" ", addresses) + " on " + host + ":" + port);
      while (true) {
        JsonObject frame = client.next(Duration.ofDays(1));
        if (frame != null && "message".equals(frame.getString("type"))) {
          System.out.println(new JsonObject().put("address", frame.getString("address"))
              .put("body", frame.getValue("body")).encode());
        } else if (frame != null && "err".equals(frame.getString("type"))) {
          System.err.println("bridge error: " + frame.getString("message"));
        }
      }
    } catch (IOException e) {
      System.err.println("broker: watch: " + e.getMessage() + " (is a broker running with its bridge on "
          + host + ":" + port + "?)");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import picocli.CommandLine.Option;

/**
 * How an admin command finds a running broker: its HTTP API ({@code --url}, by default the {@code
 * http.host}/{@code http.port} of the configuration, moved by {@code --port-offset}) and its admin
 * token ({@code --token}, by default {@code http.adminToken}, which {@code BROKER_HTTP_ADMIN_TOKEN}
 * sets); and whether to print raw JSON.
 */
final class AdminOptions {

  @Option(
      names = "--url",
      paramLabel = "URL",
      description =
          "the broker's HTTP API (default: from http.host and http.port of the configuration)")
  URI url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "admin token (default: http.adminToken of the configuration, BROKER_HTTP_ADMIN_TOKEN)")
  String token;

  @Option(names = "--json", description = "print the API's JSON answer as it is, one line")
  boolean json;

  /** A client of the broker the options and the configuration name. */
  AdminClient client(Main main) {
    main.refuseClusterFlag("the admin commands");
    JsonObject http = main.configuration(false).json().getJsonObject("http");
    URI base = url;
    if (base == null) {
      String host = http.getString("host");
      // A broker listening on every address is reached on loopback.
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = "127.0.0.1";
      }
      base =
          URI.create(
              "http://"
                  + (host.contains(":") ? "[" + host + "]" : host)
                  + ":"
                  + http.getInteger("port"));
    }
    return new AdminClient(base, token != null ? token : http.getString("adminToken"));
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The admin commands' way to a running broker: its HTTP API ({@code /api/sessions…}, {@code
 * /api/events}), with the JDK's HTTP client.
 *
 * <p>Why HTTP and not the TCP event bus bridge: HTTP is the operator's documented admin surface,
 * with the admin token ({@code http.adminToken}; the bridge has no credential, so it stays on
 * loopback), status codes and JSON errors, the same answers {@code curl} gets; and it needs no
 * framing of our own. {@code watch} stays on the bridge: it also follows {@code devices.inbound},
 * which is not in the event log the HTTP stream serves.
 */
final class AdminClient {

  /** The broker could not be reached, or answered with an error: exit code 1. */
  static final class Failed extends RuntimeException {
    final int status;

    Failed(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final URI base;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  AdminClient(URI base, String token) {
    this.base = base;
    this.token = token == null ? "" : token;
  }

  JsonObject get(String pathAndQuery) {
    return send("GET", pathAndQuery);
  }

  JsonObject delete(String path) {
    return send("DELETE", path);
  }

  /** A device or session id as one path segment. */
  static String segment(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The first message in the chain: the JDK's ConnectException has none of its own. */
  private static String reason(Throwable e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private JsonObject send(String method, String pathAndQuery) {
    // Appended, not resolved: resolving "/api/…" would drop a path the base has (a broker behind a
    // proxy at https://ops.example/broker).
    URI uri = URI.create(base.toString().replaceAll("/+$", "") + pathAndQuery);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(TIMEOUT)
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (!token.isEmpty()) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Failed(
          0,
          "cannot reach the broker's HTTP API at "
              + base
              + " ("
              + reason(e)
              + "); is a broker running there? (--url, or http.host/http.port and --port-offset)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failed(0, "interrupted");
    }
    JsonObject body;
    try {
      body = new JsonObject(response.body());
    } catch (DecodeException | ClassCastException e) {
      throw new Failed(
          response.statusCode(), uri + " answered " + response.statusCode() + " without JSON");
    }
    if (response.statusCode() == 401) {
      throw new Failed(
          401,
          "the broker wants its admin token: --token TOKEN or BROKER_HTTP_ADMIN_TOKEN ("
              + body.getString("message", "")
              + ")");
    }
    if (response.statusCode() >= 400) {
      throw new Failed(response.statusCode(), body.getString("message", body.encode()));
    }
    return body;
  }
}

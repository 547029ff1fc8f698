package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CLI's HTTP client against a plain HTTP server that records what it is asked. */
class AdminClientTest {

  private final List<String> asked = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          asked.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          byte[] body = "{\"total\":0}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String root() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void aUrlWithAPathKeepsItBeforeTheApisPath() {
    // a broker behind a proxy that serves it under /broker
    new AdminClient(URI.create(root() + "/broker"), "").get("/api/sessions/count");
    new AdminClient(URI.create(root() + "/broker/"), "").delete("/api/sessions/d%201");

    assertThat(asked)
        .containsExactly("GET /broker/api/sessions/count", "DELETE /broker/api/sessions/d%201");
  }

  @Test
  void aUrlWithoutAPathAsksTheApisPath() {
    new AdminClient(URI.create(root()), "").get("/api/sessions?limit=5");
    new AdminClient(URI.create(root() + "/"), "").get("/api/bans");

    assertThat(asked).containsExactly("GET /api/sessions?limit=5", "GET /api/bans");
  }
}

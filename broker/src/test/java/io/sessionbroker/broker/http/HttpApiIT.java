package io.sessionbroker.broker.http;

import static io.sessionbroker.cluster.CloseReason.KICKED;
import static io.sessionbroker.cluster.CloseReason.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the operator's HTTP listener (docs/http.md) as curl or a browser sees it, with the JDK
 * HttpClient against a whole broker: health and readiness, the REST mirror of the admin API, its
 * JSON errors, and the Prometheus metrics.
 */
@Timeout(60)
class HttpApiIT {

  static final HttpClient HTTP = HttpClient.newHttpClient();
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  static HttpResponse<String> call(BrokerHarness broker, String method, String path)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.broker.httpPort() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return call(harness, "GET", path);
  }

  @Test
  void healthAndReadinessAnswerJsonOnceTheListenersAreUp() throws Exception {
    HttpResponse<String> health = get("/health");
    HttpResponse<String> ready = get("/ready");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(health.body()).getString("status")).isEqualTo("up");
    assertThat(ready.statusCode()).isEqualTo(200);
    JsonObject readiness = new JsonObject(ready.body());
    assertThat(readiness.getBoolean("ready")).isTrue();
    assertThat(readiness.getJsonArray("listeners").encode()).contains("tcp ", "mqtt ", "http ");
  }

  /** Verifies that a connected device is listed, found, counted and kicked over REST. */
  @Test
  @ExpectCloses(KICKED)
  void aDeviceIsListedFoundCountedAndKickedOverRest() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("http-rest-1", 30);
      harness.await(Addresses.OPENED, "http-rest-1");

      // when / then
      HttpResponse<String> one = get("/api/sessions/http-rest-1");
      assertThat(one.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(one.body()).getString("transport")).isEqualTo("tcp");

      HttpResponse<String> list = get("/api/sessions?transport=tcp&limit=1000");
      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(list.body()).contains("\"deviceId\":\"http-rest-1\"");

      device.send(new JsonObject().put("type", "ping"));
      assertThat(device.read(Duration.ofSeconds(5)).getString("type")).isEqualTo("pong");
      String metrics = get("/metrics").body();
      assertThat(value(metrics, "sessionbroker_heartbeats_total", "transport=\"tcp\""))
          .as(metrics.lines().filter(l -> l.contains("heartbeats")).toList().toString())
          .isGreaterThanOrEqualTo(1);

      JsonObject count = new JsonObject(get("/api/sessions/count").body());
      assertThat(count.getJsonObject("byTransport").getInteger("tcp")).isGreaterThanOrEqualTo(1);

      HttpResponse<String> kick = call(harness, "DELETE", "/api/sessions/http-rest-1");
      assertThat(kick.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(kick.body()).getBoolean("kicked")).isTrue();
      assertThat(harness.await(Addresses.CLOSED, "http-rest-1").getString("reason"))
          .isEqualTo("KICKED");
      assertThat(device.closedByBroker(Duration.ofSeconds(5))).isTrue();

      HttpResponse<String> again = call(harness, "DELETE", "/api/sessions/http-rest-1");
      assertThat(again.statusCode()).isEqualTo(404);
      assertThat(new JsonObject(again.body()).getInteger("error")).isEqualTo(404);
    }
  }

  /**
   * Verifies that without an admin token a web page of another site cannot use the API (cross-site
   * request forgery): a form or a {@code fetch(…, {mode: "no-cors"})} with a text body reaches the
   * broker without a CORS preflight, so only the {@code Origin} the browser sends tells it from the
   * dashboard. The foreign page's command is refused before it reaches the device; the dashboard's
   * own host is served.
   */
  @Test
  void aPageOfAnotherSiteCannotCommandADevice() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("http-csrf-1", 30);
      String commands = "/api/devices/http-csrf-1/commands/";

      // when a page of another site posts a command, then the dashboard's own page one
      HttpResponse<String> foreign =
          post(commands + "unlock?oneWay=true", "https://attacker.example");
      HttpResponse<String> own =
          post(commands + "reboot?oneWay=true", "http://127.0.0.1:" + harness.broker.httpPort());

      // then only the own page's command reaches the device
      assertThat(foreign.statusCode()).isEqualTo(403);
      assertThat(new JsonObject(foreign.body()).getString("message")).contains("origin");
      assertThat(own.statusCode()).isEqualTo(200);
      assertThat(device.read(Duration.ofSeconds(5)).getString("name")).isEqualTo("reboot");
    }
  }

  private static HttpResponse<String> post(String path, String origin) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + harness.broker.httpPort() + path))
            .header("Origin", origin)
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .timeout(Duration.ofSeconds(10))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Verifies that every failure is JSON with the admin API's code and says what was wrong. */
  @Test
  void failuresAreJsonWithTheAdminApiCodes() throws Exception {
    HttpResponse<String> badLimit = get("/api/sessions?limit=ten");
    HttpResponse<String> badRange = get("/api/events?max=0");
    HttpResponse<String> missing = get("/api/sessions/http-never-seen");
    HttpResponse<String> unknown = get("/api/nothing-here");

    assertThat(badLimit.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badLimit.body()).getString("message")).contains("limit");
    assertThat(badRange.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badRange.body()).getString("message")).contains("max");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getString("message")).contains("http-never-seen");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getInteger("error")).isEqualTo(404);
  }

  /**
   * Verifies that a path Vert.x cannot decode (a percent-escape that is no hex pair) is answered in
   * the API's error shape, {@code 400} with {@code {"error","message"}} (docs/http.md), not
   * Vert.x's plain-text "Bad Request". Raw bytes: the JDK's HTTP client refuses to send such a URI.
   */
  @Test
  void aPathThatCannotBeDecodedIs400InTheApisShape() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.broker.httpPort())) {
      socket
          .getOutputStream()
          .write(
              ("GET /api/sessions/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 400 ");
      assertThat(response).containsIgnoringCase("content-type: application/json");
      JsonObject body = new JsonObject(response.substring(response.indexOf("\r\n\r\n") + 4));
      assertThat(body.getInteger("error")).isEqualTo(400);
      assertThat(body.getString("message")).startsWith("malformed request");
    }
  }

  /**
   * Verifies that a method a resource does not have is 405 with the methods it has in Allow (RFC
   * 9110 §15.5.6), not the 404 of a path that does not exist.
   */
  @Test
  void aWrongMethodOnAResourceIs405WithTheMethodsItHas() throws Exception {
    HttpResponse<String> put = call(harness, "PUT", "/api/sessions/http-never-seen");
    HttpResponse<String> post = call(harness, "POST", "/api/sessions");
    HttpResponse<String> getCommand = get("/api/devices/http-never-seen/commands/reboot");
    HttpResponse<String> postHealth = call(harness, "POST", "/health");

    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(put.headers().firstValue("allow")).hasValue("GET, HEAD, DELETE");
    assertThat(new JsonObject(put.body()).getInteger("error")).isEqualTo(405);
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    assertThat(getCommand.statusCode()).isEqualTo(405);
    assertThat(getCommand.headers().firstValue("allow")).hasValue("POST");
    assertThat(postHealth.statusCode()).isEqualTo(405);
    assertThat(postHealth.headers().firstValue("allow")).hasValue("GET, HEAD");
  }

  /**
   * Verifies that HEAD is answered wherever GET is (RFC 9110 §9.1), with GET's status and headers
   * and no body: a load balancer's HEAD /health check, or a script's HEAD of the API.
   */
  @Test
  void headIsAnsweredWhereGetIsWithoutABody() throws Exception {
    HttpResponse<String> health = call(harness, "HEAD", "/health");
    HttpResponse<String> count = call(harness, "HEAD", "/api/sessions/count");
    HttpResponse<String> stream = call(harness, "HEAD", "/api/events/stream");
    HttpResponse<String> metrics = call(harness, "HEAD", "/metrics");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(health.body()).isEmpty();
    assertThat(health.headers().firstValue("content-length")).hasValue("15");
    assertThat(count.statusCode()).isEqualTo(200);
    assertThat(count.body()).isEmpty();
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).isEmpty();
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("content-type").orElse(""))
        .startsWith("text/event-stream");
  }

  /**
   * Verifies that a transport filter no session can match ({@code ws} for {@code websocket}) is a
   * 400 naming the transports, not an empty page that reads as "no such devices online".
   */
  @Test
  void anUnknownTransportFilterIs400NamingTheTransports() throws Exception {
    HttpResponse<String> ws = get("/api/sessions?transport=ws");

    assertThat(ws.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(ws.body()).getString("message")).contains("websocket", "mqtt");
  }

  /** Verifies that the event log replays over REST, in seq order, from a given seq. */
  @Test
  @ExpectCloses(KICKED)
  void eventsReplayFromAGivenSeq() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("http-replay-1", 30);
      long seq = harness.await(Addresses.OPENED, "http-replay-1").getLong("seq");
      harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "http-replay-1"));
      harness.await(Addresses.CLOSED, "http-replay-1");

      JsonObject page = new JsonObject(get("/api/events?fromSeq=" + seq + "&max=2").body());

      assertThat(page.getJsonArray("events").getJsonObject(0).getLong("seq")).isEqualTo(seq);
      assertThat(page.getJsonArray("events").encode()).contains("http-replay-1");
    }
  }

  /**
   * Verifies that /metrics speaks the Prometheus text format with our sessions, opens, closes by
   * reason and eviction lateness, beside Vert.x's event bus and the JVM's metrics.
   */
  @Test
  @ExpectCloses(TIMEOUT)
  void metricsCountSessionsClosesByReasonAndLateness() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given: a device that goes silent after its hello
      device.hello("http-metrics-1", 0.1);
      harness.await(Addresses.OPENED, "http-metrics-1");
      String node = harness.broker.nodeId();

      // when
      harness.await(Addresses.CLOSED, "http-metrics-1");
      HttpResponse<String> metrics = get("/metrics");

      // then
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      String text = metrics.body();
      assertThat(value(text, "sessionbroker_opens_total", "transport=\"tcp\""))
          .isGreaterThanOrEqualTo(1);
      assertThat(value(text, "sessionbroker_closes_total", "reason=\"TIMEOUT\""))
          .isGreaterThanOrEqualTo(1);
      assertThat(value(text, "sessionbroker_eviction_lateness_seconds_count", "node=\"" + node))
          .isGreaterThanOrEqualTo(1);
      assertThat(text).contains("sessionbroker_sessions{", "transport=\"udp\"");
      assertThat(text).contains("vertx_eventbus_", "jvm_memory_used_bytes");
    }
  }

  /**
   * The value of the first series of {@code name} whose labels contain {@code label}; 0 if none.
   */
  /**
   * Verifies that MQTT operations the ACL refuses are counted in {@code
   * sessionbroker_mqtt_denied_total} by action: a Paho 5 client subscribing outside its tree.
   */
  @Test
  @ExpectCloses(io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED)
  void refusedMqttSubscriptionsAreCountedInTheMetrics() throws Exception {
    // given an MQTT 5 client
    var client =
        new org.eclipse.paho.mqttv5.client.MqttClient(
            "tcp://127.0.0.1:"
                + harness.broker.port(io.sessionbroker.transports.TransportName.MQTT),
            "http-acl-metric",
            new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    client.connect();

    // when it subscribes to another device's tree
    var token =
        client.subscribe(
            new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
              new org.eclipse.paho.mqttv5.common.MqttSubscription("devices/someone/#", 1)
            });
    client.disconnect();
    client.close();

    // then it was refused, and /metrics counts it
    assertThat(token.getReasonCodes()).containsExactly(0x87);
    String metrics = get("/metrics").body();
    assertThat(value(metrics, "sessionbroker_mqtt_denied_total", "action=\"subscribe\""))
        .as(metrics.lines().filter(l -> l.contains("denied")).toList().toString())
        .isEqualTo(1.0);
    assertThat(value(metrics, "sessionbroker_mqtt_denied_total", "action=\"publish\"")).isZero();
  }

  static double value(String exposition, String name, String label) {
    Matcher line = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(exposition);
    while (line.find()) {
      if (line.group(1).contains(label)) {
        return Double.parseDouble(line.group(2));
      }
    }
    return 0;
  }
}

package io.sessionbroker.broker.http;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies {@code POST /api/devices/{deviceId}/commands/{name}} with the JDK HttpClient: the body
 * is the payload, {@code ?timeoutMs=} and {@code ?oneWay=} the options; 200 with the device's
 * answer, or the failure's code as the HTTP status, as JSON; the admin token guards it like every
 * {@code /api} route.
 */
@Timeout(60)
class CommandsHttpIT {

  private static final String TOKEN = "commands-admin-token-for-tests";
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness =
        BrokerHarness.start(
            conf -> {
              conf.getJsonObject("http").put("adminToken", TOKEN);
              conf.getJsonObject("commands").put("maxPayloadBytes", 100);
            });
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  private static CompletableFuture<HttpResponse<String>> post(
      String path, String body, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + harness.broker.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpApiIT.HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> await(CompletableFuture<HttpResponse<String>> pending)
      throws Exception {
    return pending.get(30, TimeUnit.SECONDS);
  }

  /** Verifies that the device's answer comes back as 200 with {@code {"status","payload"}}. */
  @Test
  void aCommandOverHttpReturnsTheDevicesAnswer() throws Exception {
    try (TcpDevice device = new TcpDevice("127.0.0.1", harness.broker.tcpPort())) {
      // given
      device.hello("http-cmd-1", 30);

      // when
      var pending =
          post("/api/devices/http-cmd-1/commands/set-interval?timeoutMs=5000", "{\"s\":60}", TOKEN);
      JsonObject received = device.read(WAIT);
      device.send(
          new JsonObject()
              .put("type", "reply")
              .put("id", received.getString("id"))
              .put("status", 200)
              .put("payload", new JsonObject().put("s", 60)));

      // then
      assertThat(received.getString("name")).isEqualTo("set-interval");
      assertThat(received.getJsonObject("payload")).isEqualTo(new JsonObject().put("s", 60));
      HttpResponse<String> response = await(pending);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
      assertThat(new JsonObject(response.body()))
          .isEqualTo(
              new JsonObject().put("status", 200).put("payload", new JsonObject().put("s", 60)));
    }
  }

  /** Verifies that a one-way command over HTTP answers 200 with status 202 once written. */
  @Test
  void aOneWayCommandOverHttpIsAccepted() throws Exception {
    try (TcpDevice device = new TcpDevice("127.0.0.1", harness.broker.tcpPort())) {
      device.hello("http-cmd-2", 30);

      HttpResponse<String> response =
          await(post("/api/devices/http-cmd-2/commands/blink?oneWay=true", "", TOKEN));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(response.body()).getInteger("status")).isEqualTo(202);
      assertThat(device.read(WAIT).getValue("payload")).isNull();
    }
  }

  /** Verifies that every failure is its code as the HTTP status, with the JSON error shape. */
  @Test
  void failuresAreTheirCodesAsHttpStatus() throws Exception {
    HttpResponse<String> noToken = await(post("/api/devices/x/commands/reboot", "", null));
    HttpResponse<String> noSession =
        await(post("/api/devices/http-cmd-nobody/commands/reboot", "", TOKEN));
    HttpResponse<String> badTimeout =
        await(post("/api/devices/http-cmd-nobody/commands/reboot?timeoutMs=soon", "", TOKEN));
    HttpResponse<String> badOneWay =
        await(post("/api/devices/http-cmd-nobody/commands/reboot?oneWay=maybe", "", TOKEN));
    HttpResponse<String> notJson =
        await(post("/api/devices/http-cmd-nobody/commands/reboot", "{not json", TOKEN));
    HttpResponse<String> tooLarge =
        await(
            post(
                "/api/devices/http-cmd-nobody/commands/reboot",
                "\"" + "x".repeat(150) + "\"",
                TOKEN));
    HttpResponse<String> wayTooLarge =
        await(
            post(
                "/api/devices/http-cmd-nobody/commands/reboot",
                "\"" + "x".repeat(10_000) + "\"",
                TOKEN));

    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(noSession.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(noSession.body()).getInteger("error")).isEqualTo(404);
    assertThat(badTimeout.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badTimeout.body()).getString("message")).contains("timeoutMs");
    assertThat(badOneWay.statusCode()).isEqualTo(400);
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(wayTooLarge.statusCode()).isEqualTo(413);
  }
}

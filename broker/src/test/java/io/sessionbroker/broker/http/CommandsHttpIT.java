package io.sessionbroker.broker.http;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

  /**
   * Verifies that a client that sends its whole body before it reads (curl, Python's http.client)
   * gets the 413: the broker reads on and drops the rest of a refused body for a while instead of
   * closing the socket at once, which resets the connection under the client's writes (curl then
   * gave up with "Connection reset by peer" and never showed the 413).
   */
  @Test
  void aClientThatSendsAHugeBodyBeforeReadingGetsThe413() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.broker.httpPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(chunkedHead());
      byte[] chunk = new byte[64 * 1024];
      java.util.Arrays.fill(chunk, (byte) 'x');
      String hex = Integer.toHexString(chunk.length);
      for (int sent = 0; sent < 4_000_000; sent += chunk.length) {
        out.write((hex + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      assertThat(readAll(socket)).startsWith("HTTP/1.1 413");
    }
  }

  /**
   * Verifies that a body declared larger than the bound, with {@code Expect: 100-continue}, is
   * refused at once: the client sends none of it (RFC 9110 §10.1.1), so the broker must answer from
   * the headers.
   */
  @Test
  void aHugeDeclaredBodyWithExpectContinueIsRefusedFromTheHeaders() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.broker.httpPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head(8_000_000, true));

      assertThat(readAll(socket)).startsWith("HTTP/1.1 413");
    }
  }

  /**
   * Verifies that a body within the bound, announced with {@code Expect: 100-continue}, is asked
   * for with {@code 100 Continue} (RFC 9110 §10.1.1), not left to the client's own wait.
   */
  @Test
  void aBodyWithinTheBoundWithExpectContinueIsAskedFor() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.broker.httpPort())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(head(2, true));

      byte[] interim = new byte[25];
      int read = socket.getInputStream().read(interim);

      assertThat(new String(interim, 0, Math.max(read, 0), StandardCharsets.US_ASCII))
          .startsWith("HTTP/1.1 100 Continue");
    }
  }

  /** A request whose body comes chunked: no length to refuse it by before reading. */
  private static byte[] chunkedHead() {
    return ("POST /api/devices/http-cmd-nobody/commands/reboot HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] head(long contentLength, boolean expectContinue) {
    return ("POST /api/devices/http-cmd-nobody/commands/reboot HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + contentLength
            + "\r\n"
            + (expectContinue ? "Expect: 100-continue\r\n" : "")
            + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** What the broker sends until it closes the connection (or a reset ends the reading). */
  private static String readAll(Socket socket) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = socket.getInputStream().read(buffer)) != -1; ) {
        got.write(buffer, 0, n);
      }
    } catch (SocketException | SocketTimeoutException resetOrSilent) {
      // what was read before the reset (or the silence) is what the client saw
    }
    return got.toString(StandardCharsets.UTF_8);
  }
}

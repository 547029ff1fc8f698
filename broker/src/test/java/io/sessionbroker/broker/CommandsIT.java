package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.TAKEN_OVER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
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
 * Verifies commands to devices ({@code devices.command}, docs/events.md) sent through the TCP event
 * bus bridge, as a back end in another language would, to raw TCP and WebSocket devices of a whole
 * broker: the device's answer, and every failure with its code, fast.
 */
@Timeout(60)
class CommandsIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("commands")
                    .put("maxPayloadBytes", 64)
                    .put("maxInFlightPerDevice", 2));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /** The bridge's answer to a command: the reply frame or the err frame, as it came. */
  private static CompletableFuture<JsonObject> send(JsonObject command) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return harness.bridge.exchange(Addresses.COMMAND, command, Duration.ofSeconds(30));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static JsonObject command(String deviceId, String name, Object payload) {
    return new JsonObject().put("deviceId", deviceId).put("name", name).put("payload", payload);
  }

  private static JsonObject answer(CompletableFuture<JsonObject> pending) throws Exception {
    return pending.get(30, TimeUnit.SECONDS);
  }

  /**
   * Verifies that a raw TCP device gets {@code {"type":"command",…}} and its {@code reply} comes
   * back to the sender as {@code {"status","payload"}}.
   */
  @Test
  void aTcpDeviceAnswersACommandThroughTheBridge() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("cmd-tcp-1", 30);

      // when
      CompletableFuture<JsonObject> pending =
          send(command("cmd-tcp-1", "reboot", new JsonObject().put("delayS", 5)));
      JsonObject received = device.read(WAIT);
      device.send(
          new JsonObject()
              .put("type", "reply")
              .put("id", received.getString("id"))
              .put("status", 200)
              .put("payload", new JsonObject().put("rebooting", true)));

      // then
      assertThat(received.getString("type")).isEqualTo("command");
      assertThat(received.getString("name")).isEqualTo("reboot");
      assertThat(received.getJsonObject("payload")).isEqualTo(new JsonObject().put("delayS", 5));
      JsonObject reply = answer(pending);
      assertThat(reply.getString("type")).isEqualTo("message");
      assertThat(reply.getJsonObject("body"))
          .isEqualTo(
              new JsonObject()
                  .put("status", 200)
                  .put("payload", new JsonObject().put("rebooting", true)));
    }
  }

  /** Verifies that a WebSocket device (the JDK client) gets the command and answers it. */
  @Test
  void aWebSocketDeviceAnswersACommand() throws Exception {
    try (WsPeer device = new WsPeer(harness.broker.port(TransportName.WEBSOCKET))) {
      // given
      device.hello("cmd-ws-1", 30);

      // when
      CompletableFuture<JsonObject> pending = send(command("cmd-ws-1", "read-config", null));
      JsonObject received = device.next();
      device.send(
          new JsonObject()
              .put("type", "reply")
              .put("id", received.getString("id"))
              .put("status", 404)
              .put("payload", "no config"));

      // then
      assertThat(received.getString("type")).isEqualTo("command");
      assertThat(answer(pending).getJsonObject("body"))
          .isEqualTo(new JsonObject().put("status", 404).put("payload", "no config"));
    }
  }

  /** Verifies that a command to a device without a session fails with 404 at once. */
  @Test
  void aCommandToAnUnknownDeviceFailsWith404() throws Exception {
    JsonObject reply = answer(send(command("cmd-nobody", "reboot", null)));

    assertThat(reply.getString("type")).isEqualTo("err");
    assertThat(reply.getInteger("failureCode")).isEqualTo(404);
  }

  /** Verifies that malformed requests fail with 400 and name what is wrong. */
  @Test
  void badRequestsFailWith400() throws Exception {
    JsonObject[] bad = {
      new JsonObject().put("name", "reboot"),
      command("cmd-bad", null, null),
      command("cmd-bad", "a/b", null),
      command("cmd-bad", "#", null),
      command("cmd-bad", "reboot", null).put("timeoutMs", 0),
      command("cmd-bad", "reboot", null).put("timeoutMs", 60_001),
      command("cmd-bad", "reboot", null).put("timeoutMs", "soon"),
      command("cmd-bad", "reboot", null).put("oneWay", "yes"),
      command(42 + "", "", null),
    };
    for (JsonObject request : bad) {
      JsonObject reply = answer(send(request));
      assertThat(reply.getInteger("failureCode")).as(request.encode()).isEqualTo(400);
    }
  }

  /** Verifies that a payload over {@code commands.maxPayloadBytes} fails with 413. */
  @Test
  void aPayloadTooLargeFailsWith413() throws Exception {
    JsonObject reply = answer(send(command("cmd-big", "write", "x".repeat(100))));

    assertThat(reply.getInteger("failureCode")).isEqualTo(413);
  }

  /**
   * Verifies that one command more than {@code commands.maxInFlightPerDevice} fails with 429 while
   * the others wait, and that an unanswered command fails with 504 after its {@code timeoutMs}.
   */
  @Test
  void tooManyInFlightFailsWith429AndSilenceWith504() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("cmd-busy-1", 30);
      CompletableFuture<JsonObject> first =
          send(command("cmd-busy-1", "a", null).put("timeoutMs", 1_500));
      CompletableFuture<JsonObject> second =
          send(command("cmd-busy-1", "b", null).put("timeoutMs", 1_500));
      device.read(WAIT);
      device.read(WAIT);

      // when
      JsonObject third = answer(send(command("cmd-busy-1", "c", null)));

      // then
      assertThat(third.getInteger("failureCode")).isEqualTo(429);
      long start = System.nanoTime();
      assertThat(answer(first).getInteger("failureCode")).isEqualTo(504);
      assertThat(answer(second).getInteger("failureCode")).isEqualTo(504);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  /**
   * Verifies that a takeover while a command waits fails it with 503 at once, not at its 30 s
   * timeout.
   */
  @Test
  @ExpectCloses(TAKEN_OVER)
  void aTakeoverFailsTheCommandInFlightWith503AtOnce() throws Exception {
    try (TcpDevice device = harness.tcpDevice();
        TcpDevice newer = harness.tcpDevice()) {
      // given
      device.hello("cmd-race-1", 30);
      CompletableFuture<JsonObject> pending =
          send(command("cmd-race-1", "reboot", null).put("timeoutMs", 30_000));
      device.read(WAIT);

      // when
      long start = System.nanoTime();
      newer.hello("cmd-race-1", 30);

      // then
      JsonObject reply = answer(pending);
      assertThat(reply.getInteger("failureCode")).isEqualTo(503);
      assertThat(reply.getString("message")).contains("TAKEN_OVER");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  /** Verifies that the device's goodbye while a command waits fails it with 503 at once. */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aCloseFailsTheCommandInFlightWith503AtOnce() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("cmd-close-1", 30);
      CompletableFuture<JsonObject> pending =
          send(command("cmd-close-1", "reboot", null).put("timeoutMs", 30_000));
      device.read(WAIT);

      // when
      long start = System.nanoTime();
      device.send(new JsonObject().put("type", "bye"));

      // then
      JsonObject reply = answer(pending);
      assertThat(reply.getInteger("failureCode")).isEqualTo(503);
      assertThat(reply.getString("message")).contains("CLIENT_CLOSED");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  /** Verifies that a one-way command is accepted (202) as soon as it is written. */
  @Test
  void aOneWayCommandIsAcceptedOnceWritten() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.hello("cmd-oneway-1", 30);

      JsonObject reply = answer(send(command("cmd-oneway-1", "blink", 3).put("oneWay", true)));

      assertThat(reply.getJsonObject("body").getInteger("status")).isEqualTo(202);
      JsonObject received = device.read(WAIT);
      assertThat(received.getString("name")).isEqualTo("blink");
      assertThat(received.getInteger("payload")).isEqualTo(3);
    }
  }

  /** Verifies that a reply is proof of life: it moves the session's {@code lastSeenAt}. */
  @Test
  void aReplyCountsAsAHeartbeat() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("cmd-alive-1", 30);
      CompletableFuture<JsonObject> pending = send(command("cmd-alive-1", "noop", null));
      JsonObject received = device.read(WAIT);
      long seenBefore = session("cmd-alive-1").getLong("lastSeenAt");
      while (harness.broker.table().clock().millis() <= seenBefore) {
        Thread.onSpinWait(); // the table's clock must move for a touch to show
      }

      // when
      device.send(
          new JsonObject()
              .put("type", "reply")
              .put("id", received.getString("id"))
              .put("status", 200));
      answer(pending);

      // then
      assertThat(session("cmd-alive-1").getLong("lastSeenAt")).isGreaterThan(seenBefore);
    }
  }

  private static JsonObject session(String deviceId) throws Exception {
    return harness.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", deviceId));
  }

  /** Verifies that commands are counted by outcome on {@code /metrics}. */
  @Test
  void commandsAreCountedByOutcome() throws Exception {
    answer(send(command("cmd-metrics-nobody", "reboot", null)));

    HttpResponse<String> metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + harness.broker.httpPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(metrics.body())
        .containsPattern("sessionbroker_commands_total\\{.*outcome=\"no_session\".*\\} [1-9]")
        .contains("sessionbroker_command_round_trip_seconds");
  }
}

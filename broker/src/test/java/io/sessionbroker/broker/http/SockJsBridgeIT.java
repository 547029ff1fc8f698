package io.sessionbroker.broker.http;

import static io.sessionbroker.cluster.CloseReason.KICKED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.broker.SockJsHangupFilter;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Verifies the SockJS event bus bridge at {@code /eventbus} over SockJS's WebSocket transport (the
 * one browsers use: {@code /eventbus/<server>/<session>/websocket}, SockJS framing around the TCP
 * bridge's JSON frames), with the JDK WebSocket client: it delivers the published events and serves
 * the admin API, and refuses everything else, like the TCP bridge.
 */
@Timeout(60)
class SockJsBridgeIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /** A raw-WebSocket SockJS client: one JSON frame per text message. */
  static final class Client implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    final WebSocket socket;

    Client(int port) {
      socket = open(port, HttpApiIT.HTTP.newWebSocketBuilder(), this).join();
    }

    /** Opens SockJS's WebSocket transport, as a page of {@code origin} would. */
    Client(int port, String origin) {
      socket =
          open(port, HttpApiIT.HTTP.newWebSocketBuilder().header("Origin", origin), this).join();
    }

    static CompletableFuture<WebSocket> open(
        int port, WebSocket.Builder builder, WebSocket.Listener listener) {
      return builder.buildAsync(
          URI.create(
              "ws://127.0.0.1:"
                  + port
                  + "/eventbus/000/"
                  + Long.toHexString(System.nanoTime())
                  + "/websocket"),
          listener);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      frames.add(new JsonObject().put("closed", code).put("reason", reason));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      frames.add(new JsonObject().put("error", String.valueOf(error)));
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        // SockJS framing: "o" opens, "h" is a heartbeat, a["…", …] carries messages,
        // c[code,"reason"] closes
        String frame = partial.toString();
        partial.setLength(0);
        if (frame.startsWith("a")) {
          new JsonArray(frame.substring(1)).forEach(m -> frames.add(new JsonObject((String) m)));
        } else if (frame.startsWith("c")) {
          frames.add(new JsonObject().put("closed", frame));
        }
      }
      ws.request(1);
      return null;
    }

    /**
     * Registers for {@code sessions.opened}, then asks the admin API for the count and waits for
     * its answer: the bridge has taken the registration when it answers the request behind it.
     */
    void subscribeToOpened() throws InterruptedException {
      send(new JsonObject().put("type", "register").put("address", Addresses.OPENED));
      String reply = "r-" + System.nanoTime();
      send(
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.ADMIN_COUNT)
              .put("body", new JsonObject())
              .put("replyAddress", reply));
      next(f -> reply.equals(f.getString("address")));
    }

    void send(JsonObject frame) {
      socket.sendText(new JsonArray().add(frame.encode()).encode(), true).join();
    }

    JsonObject next(Predicate<JsonObject> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      java.util.List<JsonObject> skipped = new java.util.ArrayList<>();
      while (System.nanoTime() < deadline) {
        JsonObject frame = frames.poll(100, TimeUnit.MILLISECONDS);
        if (frame != null && wanted.test(frame)) {
          return frame;
        } else if (frame != null) {
          skipped.add(frame);
        }
      }
      throw new AssertionError("no matching frame within 10 s; received " + skipped);
    }

    @Override
    public void close() {
      socket.abort();
    }
  }

  @Test
  @ExpectCloses(KICKED)
  void subscribersGetTheEventsAndTheAdminApiAnswers() throws Exception {
    try (Client client = new Client(harness.broker.httpPort());
        TcpDevice device = harness.tcpDevice()) {
      // given
      client.subscribeToOpened(); // and the bridge serves requests

      // when
      device.hello("sockjs-device-1", 30);

      // then
      JsonObject opened =
          client.next(
              f ->
                  Addresses.OPENED.equals(f.getString("address"))
                      && "sockjs-device-1".equals(f.getJsonObject("body").getString("deviceId")));
      assertThat(opened.getString("type")).isEqualTo("rec");
      harness.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "sockjs-device-1"));
      harness.await(Addresses.CLOSED, "sockjs-device-1");
    }
  }

  @Test
  void anythingButTheEventsAndTheAdminApiIsRefused() throws Exception {
    try (Client client = new Client(harness.broker.httpPort())) {
      client.send(
          new JsonObject()
              .put("type", "send")
              .put("address", "sessions.node.any.takeover")
              .put("body", new JsonObject()));
      client.send(new JsonObject().put("type", "register").put("address", "sessions.admin.kick"));

      JsonObject first = client.next(f -> "err".equals(f.getString("type")));
      JsonObject second = client.next(f -> "err".equals(f.getString("type")));

      assertThat(first.getString("body")).isEqualTo("access_denied");
      assertThat(second.getString("body")).isEqualTo("access_denied");
    }
  }

  /**
   * Verifies that {@code devices.command} is permitted through the SockJS bridge: the device's
   * answer comes back to the browser's reply address.
   */
  @Test
  void aCommandThroughSockJsReturnsTheDevicesAnswer() throws Exception {
    try (Client client = new Client(harness.broker.httpPort());
        TcpDevice device = harness.tcpDevice()) {
      // given
      device.hello("sockjs-cmd-1", 30);

      // when
      client.send(
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.COMMAND)
              .put("body", new JsonObject().put("deviceId", "sockjs-cmd-1").put("name", "ping"))
              .put("replyAddress", "c1"));
      JsonObject command = device.read(BrokerHarness.WAIT);
      device.send(
          new JsonObject()
              .put("type", "reply")
              .put("id", command.getString("id"))
              .put("status", 200)
              .put("payload", "pong"));

      // then
      JsonObject reply = client.next(f -> "c1".equals(f.getString("address")));
      assertThat(reply.getJsonObject("body"))
          .isEqualTo(new JsonObject().put("status", 200).put("payload", "pong"));
    }
  }

  /**
   * Verifies that a frame with a field of the wrong JSON type (here {@code headers} not an object)
   * is refused with an answer and the connection goes on, as on the TCP bridge: vertx-web's bridge
   * reads the field with a typed getter and threw a {@code ClassCastException} on the event loop
   * (an ERROR with its stack in the broker's log), answering nothing.
   */
  @Test
  void aFrameWithAFieldOfTheWrongTypeIsAnsweredAndTheBridgeGoesOn() throws Exception {
    try (Client client = new Client(harness.broker.httpPort())) {
      // when
      client.send(
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.ADMIN_COUNT)
              .put("body", new JsonObject())
              .put("replyAddress", "wrong-headers")
              .put("headers", "not an object"));

      // then
      JsonObject refused = client.next(f -> "err".equals(f.getString("type")));
      assertThat(refused.getString("body")).isEqualTo("rejected");
      client.subscribeToOpened(); // the bridge still serves this connection
    }
  }

  /**
   * Verifies that a client's bad frames are answered and are not the broker's ERRORs or WARNs:
   * vertx-web's bridge logs an unknown {@code type} at ERROR and a repeated {@code register} at
   * WARN, one line per frame, so any client could fill the operator's log with alarms.
   */
  @Test
  void aClientsBadFramesAreAnsweredNotLoggedAsErrors() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> seen = startedAppender(context);
    Logger bridge = context.getLogger(SockJsHangupFilter.VERTX_LOGGER);
    bridge.addAppender(seen);
    try (Client client = new Client(harness.broker.httpPort())) {
      // when a client sends a frame of an unknown type and registers twice
      client.send(new JsonObject().put("type", "frobnicate").put("address", Addresses.OPENED));
      JsonObject unknown = client.next(f -> "err".equals(f.getString("type")));
      client.send(new JsonObject().put("type", "register").put("address", Addresses.OPENED));
      client.send(new JsonObject().put("type", "register").put("address", Addresses.OPENED));
      JsonObject twice = client.next(f -> "err".equals(f.getString("type")));

      // then each is answered, and the log has no alarm of it
      assertThat(unknown.getString("body")).isEqualTo("invalid_type");
      assertThat(twice.getString("body")).isEqualTo("address_already_registered");
      assertThat(seen.list)
          .as("what the bridge logged")
          .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN));
    } finally {
      bridge.detachAppender(seen);
    }
  }

  /**
   * Verifies that a web page of another site gets no bridge (cross-site WebSocket hijacking, RFC
   * 6455 §10.2): without an admin token any page the operator's browser shows could otherwise read
   * every event and kick sessions or command devices through {@code ws://127.0.0.1:7070/eventbus},
   * since a WebSocket is not bound by the same-origin policy. A page of the broker's own host still
   * gets one.
   */
  @Test
  void aPageOfAnotherSiteGetsNoBridge() throws Exception {
    int port = harness.broker.httpPort();

    // when a page of another site opens SockJS's WebSocket transport
    CompletionException refused =
        catchThrowableOfType(
            CompletionException.class,
            () ->
                Client.open(
                        port,
                        HttpApiIT.HTTP
                            .newWebSocketBuilder()
                            .header("Origin", "https://attacker.example"),
                        new WebSocket.Listener() {})
                    .join());

    // then the upgrade is refused, and a page of the broker's own host is served
    assertThat(refused).hasCauseInstanceOf(WebSocketHandshakeException.class);
    assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode())
        .isEqualTo(403);
    try (Client own = new Client(port, "http://127.0.0.1:" + port)) {
      own.subscribeToOpened();
    }
  }

  /**
   * Verifies that SockJS's other transports (XHR polling, which SockJS sends with CORS headers for
   * any origin) are refused to a page of another site as well: it could send a kick through them.
   */
  @Test
  void aPageOfAnotherSiteCannotPollTheBridge() throws Exception {
    // when a page of another site opens an XHR polling session
    HttpResponse<String> response =
        HttpApiIT.HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + harness.broker.httpPort()
                            + "/eventbus/000/"
                            + Long.toHexString(System.nanoTime())
                            + "/xhr"))
                .header("Origin", "https://attacker.example")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());

    // then it is refused, with no CORS header that would let the page read anything
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  /**
   * Verifies that a client that hangs up without a close frame (a browser tab killed, a laptop
   * asleep) is a DEBUG line in the broker's log, not an ERROR with a stack: vertx-web logs every
   * SockJS socket's exception as an ERROR, and a dashboard's hang-ups are routine.
   */
  @Test
  void aClientThatHangsUpIsNotAnError() throws Exception {
    // given a record of what the bridge and the broker's filter log
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> seen = startedAppender(context);
    Logger bridge = context.getLogger(SockJsHangupFilter.VERTX_LOGGER);
    Logger filter = context.getLogger(SockJsHangupFilter.class);
    Level level = filter.getLevel();
    bridge.addAppender(seen);
    filter.addAppender(seen);
    filter.setLevel(Level.DEBUG);
    try {
      // when a client subscribes, is answered, and hangs up without a close frame
      try (Client client = new Client(harness.broker.httpPort())) {
        client.subscribeToOpened();
      } // close() aborts: the TCP connection ends, no close frame

      // then the broker noted it, and not as an error
      Awaitility.await("the hang-up logged")
          .atMost(Duration.ofSeconds(10))
          .until(() -> !seen.list.isEmpty());
      assertThat(seen.list)
          .as("what the bridge and the filter logged")
          .noneMatch(e -> e.getLevel() == Level.ERROR)
          .anyMatch(e -> e.getFormattedMessage().startsWith("sockjs_client_gone"));
    } finally {
      bridge.detachAppender(seen);
      filter.detachAppender(seen);
      filter.setLevel(level);
    }
  }

  /** An appender that keeps every event it is given, for a test to read. */
  private static ListAppender<ILoggingEvent> startedAppender(LoggerContext context) {
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    seen.start();
    return seen;
  }
}

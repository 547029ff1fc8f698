package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A device on the JDK's own WebSocket client ({@code java.net.http.WebSocket}), an implementation
 * independent of the broker's. It records every text message and the close code it receives.
 *
 * <p>The JDK client answers a ping frame with a pong by itself, but only once it reads the ping,
 * and it reads only on demand: {@link #stopReading()} makes a device that leaves the broker's pings
 * unanswered.
 */
final class WsDevice implements WebSocket.Listener, AutoCloseable {

  /** What the device saw last: the close code and reason the broker sent. */
  record Closed(int code, String reason) {}

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private final java.util.concurrent.atomic.AtomicInteger pings =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean reading = true;
  private WebSocket socket;

  static WsDevice connect(int port, String pathAndQuery) {
    return connect(port, pathAndQuery, Map.of());
  }

  static WsDevice connect(int port, String pathAndQuery, Map<String, String> headers) {
    WsDevice device = new WsDevice();
    WebSocket.Builder builder = CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(builder::header);
    device.socket =
        builder.buildAsync(URI.create("ws://127.0.0.1:" + port + pathAndQuery), device).join();
    return device;
  }

  /** Connects and says hello with the given heartbeat in seconds; returns after the welcome. */
  static WsDevice hello(int port, String deviceId, double heartbeatSeconds)
      throws InterruptedException {
    WsDevice device = connect(port, "/devices");
    device.send(
        new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("heartbeat", heartbeatSeconds));
    JsonObject welcome = device.next();
    assertThat(welcome.getString("type")).as(welcome.encode()).isEqualTo("welcome");
    return device;
  }

  void send(JsonObject frame) {
    send(frame.encode());
  }

  void send(String text) {
    socket.sendText(text, true).join();
  }

  void sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
  }

  /** Sends a close frame (the device's graceful goodbye). */
  void sendClose(int code) {
    socket.sendClose(code, "").join();
  }

  /** Drops the TCP connection without a close frame. */
  void abort() {
    socket.abort();
  }

  /** Stops reading: pings queue up unanswered, as with a device that hung. */
  void stopReading() {
    reading = false;
  }

  /** Reads again, including everything queued meanwhile. */
  void resumeReading() {
    reading = true;
    socket.request(Long.MAX_VALUE);
  }

  /** The next text message, within 5 s. */
  JsonObject next() throws InterruptedException {
    JsonObject frame = received.poll(5, TimeUnit.SECONDS);
    assertThat(frame).as("a text frame from the broker within 5 s").isNotNull();
    return frame;
  }

  /**
   * The close code and reason the broker sent, within 15 s (the broker waits up to 10 s for the
   * echo).
   */
  Closed closed() throws Exception {
    return closed.get(15, TimeUnit.SECONDS);
  }

  boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      received.add(new JsonObject(partial.toString()));
      partial.setLength(0);
    }
    more(webSocket);
    return null;
  }

  /**
   * How many ping frames the device has read (and so answered: the JDK client sends the pong
   * itself).
   */
  int pings() {
    return pings.get();
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    pings.incrementAndGet();
    more(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(new Closed(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(new Closed(-1, String.valueOf(error)));
  }

  private void more(WebSocket webSocket) {
    if (reading) {
      webSocket.request(1);
    }
  }

  @Override
  public void close() {
    socket.abort();
  }
}

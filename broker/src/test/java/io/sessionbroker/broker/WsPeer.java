package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket device on the JDK's own client: records text frames and the close code it receives.
 */
final class WsPeer implements WebSocket.Listener, AutoCloseable {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private final WebSocket socket;
  private volatile boolean reading = true;

  WsPeer(int port) {
    socket =
        CLIENT
            .newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/devices"), this)
            .join();
  }

  /**
   * Stops reading: the JDK client answers a ping only when it reads it, so from now on the broker's
   * pings go unanswered, as with a device that hung. {@link #resumeReading} reads what queued up
   * meanwhile.
   */
  void stopReading() {
    reading = false;
  }

  void resumeReading() {
    reading = true;
    socket.request(Long.MAX_VALUE);
  }

  void sendBinary(byte[] bytes) {
    socket.sendBinary(java.nio.ByteBuffer.wrap(bytes), true).join();
  }

  void sendClose() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
  }

  /** Says hello and returns the welcome. */
  JsonObject hello(String device, double heartbeatS) throws InterruptedException {
    send(new JsonObject().put("type", "hello").put("device", device).put("heartbeat", heartbeatS));
    return next();
  }

  void send(JsonObject frame) {
    socket.sendText(frame.encode(), true).join();
  }

  JsonObject next() throws InterruptedException {
    JsonObject frame = received.poll(10, TimeUnit.SECONDS);
    if (frame == null) {
      throw new AssertionError("no text frame within 10 s");
    }
    return frame;
  }

  /** The close code the broker sent. */
  int closeCode() throws Exception {
    return closeCode.get(15, TimeUnit.SECONDS);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  private void more(WebSocket webSocket) {
    if (reading) {
      webSocket.request(1);
    }
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, java.nio.ByteBuffer message) {
    more(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, java.nio.ByteBuffer message) {
    more(webSocket);
    return null;
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

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closeCode.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closeCode.completeExceptionally(error);
  }

  @Override
  public void close() {
    socket.abort();
  }
}

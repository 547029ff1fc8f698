package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A device over WebSocket with the JDK's own client: one JSON object per text frame. */
final class WsDevice implements AutoCloseable {

  private final WebSocket socket;
  private final CompletableFuture<JsonObject> first = new CompletableFuture<>();

  WsDevice(int port) throws Exception {
    socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/devices"), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              first.complete(new JsonObject(text.toString()));
              text.setLength(0);
            }
            ws.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
  }

  /** Says hello and returns the welcome. */
  JsonObject hello(String device, double heartbeatS) throws Exception {
    socket.sendText(new JsonObject().put("type", "hello").put("device", device).put("heartbeat", heartbeatS)
        .encode(), true).get(5, TimeUnit.SECONDS);
    return first.get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    socket.abort();
  }
}

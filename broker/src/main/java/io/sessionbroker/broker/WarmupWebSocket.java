package io.sessionbroker.broker;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.websocket.WebSocketTransport;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The WebSocket transport in the start-up rehearsal ({@link WarmupDevices}): devices that say hello
 * in the upgrade request ({@code ?device=…&heartbeat=1}, as the load generator's), get the {@code
 * welcome}, send a {@code ping} frame and get the {@code pong}; then silence until the broker's
 * {@code bye} frame and its close frame (4000), which Vert.x's client answers, completing the close
 * handshake before the broker closes the socket.
 */
final class WarmupWebSocket implements WarmupDevices {

  private WebSocketClient client;
  private int port;
  private String path;

  @Override
  public TransportName transport() {
    return TransportName.WEBSOCKET;
  }

  @Override
  public Future<?> listen(Vertx vertx, SessionTable table) {
    WsOptions options = WsOptions.fromJson(Warmup.loopback());
    WebSocketTransport websocket = new WebSocketTransport(table, options, DeviceAuth.NONE);
    path = options.path();
    client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions().setMaxConnections(Warmup.ROUND).setTcpNoDelay(true));
    return vertx.deployVerticle(websocket).onSuccess(id -> port = websocket.port());
  }

  @Override
  public Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended) {
    List<Future<?>> connects = new ArrayList<>(devices);
    for (int i = 0; i < devices; i++) {
      ClientWebSocket ws = client.webSocket();
      // Before the upgrade: the welcome follows it at once.
      ws.textMessageHandler(
          frame -> {
            if (frame.contains("\"welcome\"")) {
              ws.writeTextMessage("{\"type\":\"ping\"}");
            } else if (frame.contains("\"pong\"")) {
              alive.countDown();
            }
          });
      ws.closeHandler(v -> ended.countDown());
      connects.add(
          ws.connect(
              new WebSocketConnectOptions()
                  .setHost("127.0.0.1")
                  .setPort(port)
                  .setURI(path + "?device=" + prefix + i + "&heartbeat=1")));
    }
    return Future.all(connects);
  }
}

package io.sessionbroker.broker;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.util.concurrent.CountDownLatch;

/**
 * The raw TCP transport in the start-up rehearsal ({@link WarmupDevices}): {@code hello}, {@code
 * welcome}, {@code ping}, {@code pong}, then silence until the broker's {@code bye} and its close.
 */
final class WarmupTcp implements WarmupDevices {

  private static final Buffer PING = Buffer.buffer("{\"type\":\"ping\"}\n");

  private NetClient client;
  private int port;

  @Override
  public TransportName transport() {
    return TransportName.TCP;
  }

  @Override
  public Future<?> listen(Vertx vertx, SessionTable table) {
    TcpTransport tcp =
        new TcpTransport(table, TcpOptions.fromJson(Warmup.loopback()), DeviceAuth.NONE);
    client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
    return vertx.deployVerticle(tcp).onSuccess(id -> port = tcp.port());
  }

  @Override
  public Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended) {
    return WarmupDevices.connectEach(
        client, port, devices, (socket, i) -> speak(socket, hello(prefix + i), alive, ended));
  }

  private static String hello(String deviceId) {
    return new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("heartbeat", 1)
            .encode()
        + "\n";
  }

  private static void speak(
      NetSocket socket, String hello, CountDownLatch alive, CountDownLatch ended) {
    socket.handler(
        RecordParser.newDelimited(
            "\n",
            line -> {
              String frame = line.toString();
              if (frame.contains("\"welcome\"")) {
                socket.write(PING);
              } else if (frame.contains("\"pong\"")) {
                alive.countDown();
              }
            }));
    socket.closeHandler(v -> ended.countDown());
    socket.write(hello);
  }
}

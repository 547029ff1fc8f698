package io.sessionbroker.broker;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.udp.UdpTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The UDP transport in the start-up rehearsal ({@link WarmupDevices}): a padded {@code hello} with
 * a nonce, the {@code welcome} with its ticket, a ticketed {@code ping} and its {@code pong}; then
 * silence until the broker's {@code bye} datagram ({@code TIMEOUT}). As in the load generator, the
 * devices share a few sockets (a UDP session holds none); device {@code i} uses socket {@code i mod
 * SOCKETS}, and its welcome is told from the others' by the nonce, its index.
 */
final class WarmupUdp implements WarmupDevices {

  private static final int SOCKETS = 4;

  /** Pads a hello past any welcome with a short nonce: no answer is larger than its request. */
  private static final String PAD = "x".repeat(200);

  private record Round(String prefix, CountDownLatch alive, CountDownLatch ended) {}

  private final List<DatagramSocket> sockets = new ArrayList<>();
  private int port;
  private volatile Round round;

  @Override
  public TransportName transport() {
    return TransportName.UDP;
  }

  @Override
  public Future<?> listen(Vertx vertx, SessionTable table) {
    UdpTransport udp =
        new UdpTransport(table, UdpOptions.fromJson(Warmup.loopback()), DeviceAuth.NONE);
    List<Future<?>> bound = new ArrayList<>();
    for (int i = 0; i < SOCKETS; i++) {
      DatagramSocket socket =
          vertx.createDatagramSocket(new DatagramSocketOptions().setReceiveBufferSize(1 << 20));
      socket.handler(packet -> answer(socket, packet));
      sockets.add(socket);
      bound.add(socket.listen(0, "127.0.0.1"));
    }
    return Future.all(bound).compose(all -> udp.start(vertx)).onSuccess(p -> port = p);
  }

  @Override
  public Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended) {
    round = new Round(prefix, alive, ended);
    List<Future<?>> sent = new ArrayList<>(devices);
    for (int i = 0; i < devices; i++) {
      Buffer hello =
          new JsonObject()
              .put("type", "hello")
              .put("device", prefix + i)
              .put("nonce", Integer.toString(i))
              .put("heartbeat", 1)
              .put("pad", PAD)
              .toBuffer();
      sent.add(sockets.get(i % SOCKETS).send(hello, port, "127.0.0.1"));
    }
    return Future.all(sent);
  }

  private void answer(DatagramSocket socket, DatagramPacket packet) {
    Round current = round;
    JsonObject frame = packet.data().toJsonObject();
    switch (frame.getString("type", "")) {
      case "welcome" -> {
        Buffer ping =
            new JsonObject()
                .put("type", "ping")
                .put("device", current.prefix() + frame.getString("nonce"))
                .put("ticket", frame.getString("ticket"))
                .toBuffer();
        socket.send(ping, port, "127.0.0.1");
      }
      case "pong" -> current.alive().countDown();
      case "bye" -> current.ended().countDown();
      default -> {} // an error: the round runs out of time and the rehearsal says so
    }
  }
}

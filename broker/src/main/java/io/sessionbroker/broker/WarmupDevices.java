package io.sessionbroker.broker;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiConsumer;

/**
 * One transport's part of the start-up rehearsal ({@link Warmup}): the real transport, listening on
 * an ephemeral port of 127.0.0.1 of the rehearsal's private Vert.x, and devices that speak to it as
 * real devices do.
 *
 * <p>Contract: {@link #listen} once, before any {@link #open}; {@code open} for one round at a time
 * (the next only after the previous round's {@code ended} reached zero or the rehearsal gave up).
 * Each device of a round says hello, waits for its welcome, sends one heartbeat and counts {@code
 * alive} down when the heartbeat is answered (its session is open and touched); then it stays
 * silent until the session table expires it, and counts {@code ended} down once the end reached it
 * the way a real device sees it (the transport's last words, then the close). Nothing here reads a
 * clock: {@link Warmup} moves the table's.
 */
interface WarmupDevices {

  /** The transport rehearsed. */
  TransportName transport();

  /** Deploys the transport on {@code vertx}, its sessions in {@code table}. */
  Future<?> listen(Vertx vertx, SessionTable table);

  /**
   * Starts {@code devices} devices named {@code prefix + i}; completes when every one of them has
   * its connection (or socket), fails if one cannot get it.
   */
  Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended);

  /**
   * Connects {@code devices} plain sockets to {@code port} of 127.0.0.1 and hands each to {@code
   * speak} with its device's index: the devices of the rehearsal's socket transports (raw TCP,
   * MQTT). Completes when every one is connected.
   */
  static Future<?> connectEach(
      NetClient client, int port, int devices, BiConsumer<NetSocket, Integer> speak) {
    List<Future<NetSocket>> connects = new ArrayList<>(devices);
    for (int i = 0; i < devices; i++) {
      int device = i;
      connects.add(
          client.connect(port, "127.0.0.1").onSuccess(socket -> speak.accept(socket, device)));
    }
    return Future.all(connects);
  }

  /** The rehearsal's devices of every transport the node listens on, in a stable order. */
  static WarmupDevices of(TransportName transport) {
    return switch (transport) {
      case TCP -> new WarmupTcp();
      case MQTT -> new WarmupMqtt();
      case WEBSOCKET -> new WarmupWebSocket();
      case UDP -> new WarmupUdp();
    };
  }
}

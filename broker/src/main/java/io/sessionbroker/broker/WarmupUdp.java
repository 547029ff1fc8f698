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
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongPredicate;

/**
 * The UDP transport in the start-up rehearsal ({@link WarmupDevices}): a padded {@code hello} with
 * a nonce, the {@code welcome} with its ticket, a ticketed {@code ping} and its {@code pong}; then
 * silence until the broker's {@code bye} datagram ({@code TIMEOUT}).
 *
 * <p>Datagrams get lost, and on a kernel with the default cap on a socket's receive buffer ({@code
 * net.core.rmem_max}, 212,992 B) a round's 500 hellos and pings at once overflowed the broker's:
 * the rehearsal then waited for answers that never came until {@code node.warmupMaxMs} cut it, and
 * the node started with the rest of its rehearsal undone (four of five {@code bin/broker} starts on
 * such a kernel rehearsed 500 of 4,000 expiries). So these devices do what docs/protocol.md asks of
 * a real one: a device without its welcome says hello again with the same nonce (and gets the same
 * session), one without its pong pings again, every {@link #RESEND_MS}. Each device has a socket of
 * its own, so an answer (a {@code pong} names no device) is its device's, and the broker's answers
 * to a round, one or two per socket, cannot overflow the devices' buffers.
 */
final class WarmupUdp implements WarmupDevices {

  /** How long a device waits for an answer before it sends its hello or ping again. */
  static final long RESEND_MS = 100;

  /** Pads a hello past any welcome with a short nonce: no answer is larger than its request. */
  private static final String PAD = "x".repeat(200);

  /** Where a device of the round is: its hello sent, welcomed, answered, ended. */
  private static final int HELLO = 0;

  private static final int WELCOMED = 1;
  private static final int ALIVE = 2;
  private static final int ENDED = 3;

  private record Round(
      String prefix,
      int devices,
      CountDownLatch alive,
      CountDownLatch ended,
      AtomicIntegerArray state,
      AtomicReferenceArray<String> tickets) {}

  private final List<DatagramSocket> sockets = new ArrayList<>();

  /** Which outgoing datagrams (counted from 0) are lost on the way: none, but in a test. */
  private final LongPredicate lost;

  private final AtomicLong sent = new AtomicLong();
  private Vertx vertx;
  private int port;
  private volatile Round round;

  WarmupUdp() {
    this(n -> false);
  }

  /** Devices whose outgoing datagrams {@code lost} says are lost (a test's). */
  WarmupUdp(LongPredicate lost) {
    this.lost = lost;
  }

  @Override
  public TransportName transport() {
    return TransportName.UDP;
  }

  @Override
  public Future<?> listen(Vertx vertx, SessionTable table) {
    this.vertx = vertx;
    UdpTransport udp =
        new UdpTransport(table, UdpOptions.fromJson(Warmup.loopback()), DeviceAuth.NONE);
    return udp.start(vertx).onSuccess(p -> port = p);
  }

  @Override
  public Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended) {
    return bind(devices)
        .onSuccess(
            bound -> {
              Round current =
                  new Round(
                      prefix,
                      devices,
                      alive,
                      ended,
                      new AtomicIntegerArray(devices),
                      new AtomicReferenceArray<>(devices));
              round = current;
              for (int i = 0; i < devices; i++) {
                send(i, hello(current, i));
              }
              vertx.setPeriodic(RESEND_MS, timer -> resend(current, timer));
            });
  }

  /** One socket per device of the largest round so far, bound once and kept for the next rounds. */
  private Future<?> bind(int devices) {
    List<Future<?>> bound = new ArrayList<>();
    for (int i = sockets.size(); i < devices; i++) {
      int device = i;
      DatagramSocket socket = vertx.createDatagramSocket();
      socket.handler(packet -> answer(device, packet));
      sockets.add(socket);
      bound.add(socket.listen(0, "127.0.0.1"));
    }
    return Future.all(bound);
  }

  /** Says hello or pings again for the devices still waiting; stops once every one is alive. */
  private void resend(Round current, long timer) {
    if (round != current || current.alive().getCount() == 0) {
      vertx.cancelTimer(timer);
      return;
    }
    for (int i = 0; i < current.devices(); i++) {
      switch (current.state().get(i)) {
        case HELLO -> send(i, hello(current, i));
        case WELCOMED -> send(i, ping(current, i));
        default -> {} // answered: nothing to send until the broker's bye
      }
    }
  }

  private void answer(int device, DatagramPacket packet) {
    Round current = round;
    if (current == null || device >= current.devices()) {
      return;
    }
    JsonObject frame = packet.data().toJsonObject();
    switch (frame.getString("type", "")) {
      case "welcome" -> {
        if (current.state().compareAndSet(device, HELLO, WELCOMED)) {
          current.tickets().set(device, frame.getString("ticket"));
          send(device, ping(current, device));
        } // a second welcome answers a hello sent again: the same session, pinged already
      }
      case "pong" -> {
        if (current.state().compareAndSet(device, WELCOMED, ALIVE)) {
          current.alive().countDown();
        }
      }
      case "bye" -> {
        if (current.state().getAndSet(device, ENDED) != ENDED) {
          current.ended().countDown();
        }
      }
      default -> {} // an error: the round runs out of time and the rehearsal says so
    }
  }

  private static Buffer hello(Round round, int device) {
    return new JsonObject()
        .put("type", "hello")
        .put("device", round.prefix() + device)
        .put("nonce", Integer.toString(device))
        .put("heartbeat", 1)
        .put("pad", PAD)
        .toBuffer();
  }

  private static Buffer ping(Round round, int device) {
    return new JsonObject()
        .put("type", "ping")
        .put("device", round.prefix() + device)
        .put("ticket", round.tickets().get(device))
        .toBuffer();
  }

  private void send(int device, Buffer datagram) {
    if (!lost.test(sent.getAndIncrement())) {
      sockets.get(device).send(datagram, port, "127.0.0.1");
    }
  }
}

package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sessionbroker.transports.link.Link;
import io.vertx.core.Context;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.impl.VertxConnection;

/**
 * A connection's PINGREQs: each is proof of life (§3.1.2.10) and is answered with a PINGRESP
 * ([MQTT-3.12.4-1]: the server MUST send one).
 *
 * <p>The short way ({@link #shortWay}): {@link MqttFraming} offers it every whole PINGREQ it cuts
 * at a packet boundary — the two bytes {@code 0xC0 0x00} — before Netty's decoder, and drops the
 * bytes when it was answered. Why: a PINGREQ is the packet a fleet sends most, and on the long way
 * each one became a fixed header and a message object in {@code MqttDecoder}, a retained slice, and
 * Vert.x's hand-over of the message to {@link MqttLink} (docs/benchmarks.md, "Heartbeats and
 * connects, sixth round" has the CPU per PINGREQ before and after). The short way is taken only
 * while the session is open and the packets held back during its opening have all been read: a
 * PINGREQ before CONNECT, during the opening or after the connection ended goes the long way, where
 * {@link MqttLink} refuses it ([MQTT-3.1.0-1]) or drops it, and a PINGREQ never overtakes a packet
 * read before it.
 *
 * <p>Threading: the connection's event loop.
 */
final class Pings {

  /**
   * PINGRESP (§3.13: type 13, no flags, Remaining Length 0; the same in 3.1.1 and 5), shared by
   * every connection: each write sends a duplicate (its own indices over the same two bytes), and
   * it is never released.
   */
  private static final ByteBuf PINGRESP =
      Unpooled.unreleasableBuffer(
          Unpooled.directBuffer(2).writeBytes(new byte[] {(byte) 0xD0, 0}).asReadOnly());

  private final NetSocketInternal socket;
  private final LinkServices services;
  private final Link<MqttEnd> link;

  /** Whether {@link #shortWay} may answer: set once the packets held back at CONNECT were read. */
  private boolean shortWay;

  Pings(NetSocketInternal socket, LinkServices services, Link<MqttEnd> link) {
    this.socket = socket;
    this.services = services;
    this.link = link;
  }

  /**
   * Opens the short way once the session is open and its socket resumed (after CONNACK). Vert.x
   * hands on the packets it held while the socket was paused in a task it queues on the event loop
   * as the socket resumes; this task is queued after it, so those packets are read before any
   * PINGREQ is answered the short way.
   */
  void openShortWay(Context context) {
    context.runOnContext(v -> shortWay = true);
  }

  /**
   * From {@link MqttFraming}: a whole PINGREQ at a packet boundary. Answers it when the session is
   * open: the keep-alive is reset, the heartbeat counted and PINGRESP written.
   *
   * @return whether it was answered; false: the packet goes the long way (decoder, {@link
   *     MqttLink})
   */
  boolean shortWay() {
    if (!shortWay || link.state() != Link.State.OPEN) {
      return false;
    }
    services.table().touch(link.session()); // §3.1.2.10: any control packet resets the keep-alive
    answer();
    return true;
  }

  /**
   * Counts a PINGREQ of an open session and answers it: two pre-encoded bytes. Through vertx-mqtt
   * it was two locks, a header and a message object, and Netty's encoder allocating and filling a
   * buffer, for every heartbeat of every device.
   */
  void answer() {
    services.heartbeats().increment();
    if (socket instanceof VertxConnection connection) {
      // Vert.x's write path as writeMessage takes it (its queue, its flush at the end of the read),
      // with its void promise instead of a promise and a future per PINGRESP that nothing reads.
      connection.writeToChannel(PINGRESP.duplicate());
    } else {
      socket.writeMessage(PINGRESP.duplicate());
    }
  }
}

package io.sessionbroker.transports.udp;

import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.impl.DatagramSocketImpl;
import java.lang.reflect.Field;

/**
 * Two socket settings Vert.x 5.1's {@link DatagramSocket} gets wrong for a broker, set on its Netty
 * channel.
 *
 * <p>{@code SO_RCVBUF}: {@code DatagramSocketOptions.setReceiveBufferSize} also makes every
 * datagram read allocate a buffer of that size ({@code Transport.configure} installs a {@code
 * FixedRecvByteBufAllocator}), so a 4 MiB socket buffer would cost a 4 MiB allocation per
 * heartbeat. Here only the socket option is set. The kernel's default (~200 KiB, a few hundred
 * small datagrams) overflows when a thousand devices send at once or the broker pauses for a GC,
 * and a dropped heartbeat is a session lost.
 *
 * <p>Datagrams per read: Vert.x reads one datagram per event-loop turn ({@code
 * maxMessagesPerRead(1)}); a burst then costs an extra {@code epoll_wait} per datagram. Reading up
 * to {@link #MESSAGES_PER_READ} per turn empties the buffer faster.
 *
 * <p>This is the only class that touches Vert.x's datagram internals; {@code DatagramTuningTest}
 * fails loudly if an upgrade changes them.
 */
final class DatagramTuning {

  static final int MESSAGES_PER_READ = 32;

  /** The name of Vert.x's handler in the channel's pipeline, which turns datagrams into packets. */
  static final String VERTX_HANDLER = "handler";

  private static final Field CHANNEL = channelField();

  private DatagramTuning() {}

  /**
   * Asks for a receive buffer of {@code receiveBufferBytes} (0: keep the kernel default) and more
   * datagrams per read; returns the receive buffer the kernel granted (Linux caps the request at
   * {@code net.core.rmem_max} and reports twice the granted size, its bookkeeping included).
   */
  static int apply(DatagramSocket socket, int receiveBufferBytes) {
    DatagramChannel channel = channel(socket);
    if (receiveBufferBytes > 0) {
      channel.config().setReceiveBufferSize(receiveBufferBytes);
    }
    ((MaxMessagesRecvByteBufAllocator) channel.config().getRecvByteBufAllocator())
        .maxMessagesPerRead(MESSAGES_PER_READ);
    return channel.config().getReceiveBufferSize();
  }

  static DatagramChannel channel(DatagramSocket socket) {
    try {
      return (DatagramChannel) CHANNEL.get(socket);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Field channelField() {
    try {
      Field field = DatagramSocketImpl.class.getDeclaredField("channel");
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ExceptionInInitializerError("Vert.x changed: no DatagramSocketImpl.channel: " + e);
    }
  }
}

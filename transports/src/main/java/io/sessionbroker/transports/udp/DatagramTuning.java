package io.sessionbroker.transports.udp;

import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.socket.DatagramChannel;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.impl.DatagramSocketImpl;
import java.lang.reflect.Field;

/**
 * Socket settings Vert.x 5.1's {@link DatagramSocket} gets wrong for a broker or does not offer,
 * set on its Netty channel.
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
 * <p>Datagrams per system call (epoll only): Netty's epoll transport reads several datagrams with
 * one {@code recvmmsg} when told the largest it needs to take ({@code
 * EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE}) and given a read buffer with room for several;
 * Vert.x sets neither. Each gets {@code maxDatagramBytes + 1} bytes, so a longer datagram is still
 * recognised as too long (it arrives cut to that length and is dropped as oversized, as before at
 * 2,048). The read buffer is kept within 32 KiB, a size Netty's allocator pools; larger ones were
 * allocated afresh, zeroed included, for every read.
 *
 * <p>This is the only class that touches Vert.x's datagram internals; {@code DatagramTuningTest}
 * fails loudly if an upgrade changes them.
 */
final class DatagramTuning {

  static final int MESSAGES_PER_READ = 32;

  /** The most bytes of one read buffer for {@code recvmmsg}: Netty's allocator pools up to this. */
  static final int READ_BUFFER_BYTES = 32 * 1024;

  /** The name of Vert.x's handler in the channel's pipeline, which turns datagrams into packets. */
  static final String VERTX_HANDLER = "handler";

  private static final Field CHANNEL = channelField();

  private DatagramTuning() {}

  /**
   * Asks for a receive buffer of {@code receiveBufferBytes} (0: keep the kernel default), more
   * datagrams per read and, on epoll, several per system call for datagrams of up to {@code
   * maxDatagramBytes}; returns the receive buffer the kernel granted (Linux caps the request at
   * {@code net.core.rmem_max} and reports twice the granted size, its bookkeeping included).
   */
  static int apply(DatagramSocket socket, int receiveBufferBytes, int maxDatagramBytes) {
    DatagramChannel channel = channel(socket);
    if (receiveBufferBytes > 0) {
      channel.config().setReceiveBufferSize(receiveBufferBytes);
    }
    if (channel.config() instanceof EpollDatagramChannelConfig epoll) {
      int slot = maxDatagramBytes + 1;
      epoll.setMaxDatagramPayloadSize(slot);
      epoll.setRecvByteBufAllocator(
          new FixedRecvByteBufAllocator(datagramsPerCall(maxDatagramBytes) * slot));
    }
    ((MaxMessagesRecvByteBufAllocator) channel.config().getRecvByteBufAllocator())
        .maxMessagesPerRead(MESSAGES_PER_READ);
    return channel.config().getReceiveBufferSize();
  }

  /** How many datagrams of up to {@code maxDatagramBytes} one {@code recvmmsg} takes. */
  static int datagramsPerCall(int maxDatagramBytes) {
    return Math.min(MESSAGES_PER_READ, READ_BUFFER_BYTES / (maxDatagramBytes + 1));
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

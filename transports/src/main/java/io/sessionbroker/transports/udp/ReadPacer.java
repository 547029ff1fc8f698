package io.sessionbroker.transports.udp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import java.util.concurrent.TimeUnit;

/**
 * Reads a UDP socket in batches rather than a datagram at a time, as a network driver's interrupt
 * coalescing does: after a read, the socket is left alone for {@code udp.readPauseMicros}; what
 * arrives meanwhile waits in its receive buffer and the next read takes all of it together.
 *
 * <p>Why: at a few thousand heartbeats a second spread over the event loops, each wake-up of an
 * event loop found one datagram, so every heartbeat paid a whole wake-up ({@code epoll_wait}, a
 * read that ends in {@code EAGAIN}, the loop's own turn) and its {@code pong} left in a system call
 * of its own (issue 17, docs/benchmarks.md). With the pause a read takes several datagrams (with
 * {@code recvmmsg} on epoll, {@link DatagramTuning}) and their answers leave in one {@code
 * sendmmsg}. The price: a datagram waits up to the pause before it is read; against heartbeat
 * deadlines of seconds that is nothing, and a {@code pong} comes back that much later.
 *
 * <p>How: Netty's {@code autoRead} off stops the event loop from watching the socket; a task on the
 * same event loop turns it back on after the pause, and Netty reads at once if datagrams wait, else
 * on the next one to arrive (so an idle socket costs nothing). A read that took as many datagrams
 * as one read may ({@code maxMessagesPerRead}) is followed by the next one without a pause: more
 * are waiting, and a pause would only cap the rate a socket can take.
 *
 * <p>Only on epoll, the node's default transport ({@link #paces}): it relies on a read taking every
 * datagram waiting. On io_uring, with reads paused this way, 9,393 of 10,000 devices lost their
 * sessions at 5,000 heartbeats a second (issue 17, fourth round; not analysed further: its reads
 * are submitted ahead and complete in pieces, so a pause per read likely capped the rate); NIO,
 * which most tests run on, was not measured. Both read each datagram as it comes.
 *
 * <p>Event-loop confined: Netty calls it on the socket's event loop only, and the resume runs
 * there.
 */
final class ReadPacer extends ChannelInboundHandlerAdapter {

  private final long pauseNanos;
  private final int maxPerRead;

  /** Datagrams read since the last read ended. */
  private int read;

  /**
   * @param pauseMicros how long a socket is left alone after a read; 0: never (then this handler
   *     does nothing but pass datagrams on)
   * @param maxPerRead the most datagrams one read takes (the channel's {@code maxMessagesPerRead})
   */
  ReadPacer(int pauseMicros, int maxPerRead) {
    this.pauseNanos = TimeUnit.MICROSECONDS.toNanos(pauseMicros);
    this.maxPerRead = maxPerRead;
  }

  /** Whether sockets of this channel's transport are read in batches: epoll's only. */
  static boolean paces(Channel channel) {
    return channel instanceof EpollDatagramChannel;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    read++;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (pauseNanos > 0 && read > 0 && read < maxPerRead) {
      ctx.channel().config().setAutoRead(false);
      ctx.executor().schedule(() -> resume(ctx), pauseNanos, TimeUnit.NANOSECONDS);
    }
    read = 0;
    ctx.fireChannelReadComplete();
  }

  /** On a closed channel this does nothing: Netty reads no closed channel. */
  private static void resume(ChannelHandlerContext ctx) {
    ctx.channel().config().setAutoRead(true);
  }
}

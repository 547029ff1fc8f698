package io.sessionbroker.transports.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Corks a socket that is about to say its last frame and close ({@code TCP_CORK}, Linux), so that
 * the kernel sends the frame and the FIN in one segment instead of two.
 *
 * <p>Why (issue 17, a mass close): the {@code bye} went out as a segment of its own and the close's
 * FIN as another, each with the receiving side's TCP processing run in the sending system call on
 * loopback and a wake-up of the device's reader. With the socket corked the {@code bye} waits in
 * the send queue; {@code close()} then sets FIN on that queued segment and sends it at once ({@code
 * tcp_send_fin}: the FIN rides on the last queued segment, and a FIN segment is never held by the
 * cork). The cork's own bound (200 ms) only matters if the close did not follow, which it does
 * right after the write on the same event loop. On a transport without the option (the JDK's NIO)
 * nothing changes: two segments, as before.
 */
final class LastSegment {

  private static final Logger log = LoggerFactory.getLogger(LastSegment.class);

  /**
   * io_uring's option, looked up by name: that transport is on the classpath at run time only, and
   * its option class registers the name when it loads (it has, once io_uring is in use).
   */
  private static final String IO_URING_CORK =
      "io.netty.channel.uring.IoUringChannelOption#TCP_CORK";

  private LastSegment() {}

  /** Sets {@code TCP_CORK} on {@code channel} if its transport supports it; never throws. */
  static void cork(Channel channel) {
    try {
      if (!set(channel, EpollChannelOption.TCP_CORK) && ChannelOption.exists(IO_URING_CORK)) {
        set(channel, ChannelOption.valueOf(IO_URING_CORK));
      }
    } catch (RuntimeException | LinkageError e) {
      log.debug("tcp_cork_failed error={}", e.toString());
    }
  }

  private static boolean set(Channel channel, ChannelOption<Boolean> cork) {
    return channel.config().setOption(cork, true);
  }
}

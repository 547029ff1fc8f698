package io.sessionbroker.transports.tcp;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel TCP keepalive with per-socket idle / interval / count, so a device that vanished without
 * FIN/RST (power loss, NAT drop) is found in about {@code idle + interval × count} seconds instead
 * of Linux's two hours. The native epoll transport applies the server options itself; on the JDK
 * (NIO) transport Vert.x only sets SO_KEEPALIVE, so each accepted socket gets the three values
 * through JDK extended socket options.
 */
final class KeepAlive {

  private static final Logger log = LoggerFactory.getLogger(KeepAlive.class);

  private final TcpOptions options;
  private final boolean nativeTransport;

  KeepAlive(TcpOptions options, boolean nativeTransport) {
    this.options = options;
    this.nativeTransport = nativeTransport;
    if (!nativeTransport) {
      log.warn(
          "native_transport_unavailable: applying TCP keepalive through JDK extended socket options");
    }
  }

  NetServerOptions apply(NetServerOptions server) {
    server.setTcpKeepAlive(true);
    server.setTcpKeepAliveIdleSeconds(options.keepAliveIdleS());
    server.setTcpKeepAliveIntervalSeconds(options.keepAliveIntervalS());
    server.setTcpKeepAliveCount(options.keepAliveCount());
    return server;
  }

  /** Applies the options to an accepted socket when the native transport did not. */
  void apply(NetSocket socket) {
    if (nativeTransport || !(socket instanceof NetSocketInternal internal)) {
      return;
    }
    Channel channel = internal.channelHandlerContext().channel();
    try {
      channel
          .config()
          .setOption(
              NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), options.keepAliveIdleS());
      channel
          .config()
          .setOption(
              NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL),
              options.keepAliveIntervalS());
      channel
          .config()
          .setOption(
              NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), options.keepAliveCount());
    } catch (RuntimeException e) {
      log.warn("tcp_keepalive_options_failed remote={}", socket.remoteAddress(), e);
    }
  }
}

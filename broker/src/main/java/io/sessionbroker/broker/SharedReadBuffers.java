package io.sessionbroker.broker;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TcpConfig;
import io.vertx.core.transport.Transport;
import java.util.concurrent.ThreadFactory;

/**
 * A native Vert.x transport whose servers give every accepted connection one shared receive-buffer
 * allocator, instead of one of its own (issue 17: ≈ 90 bytes per connection session).
 *
 * <p>Why: Netty's channel config builds an {@code AdaptiveRecvByteBufAllocator} for each channel,
 * and its read handle an {@code AdaptiveCalculator}: 72 bytes per connection that guess how much
 * the next read will bring, between 64 bytes and 64 KB. A device sends a few small frames a minute;
 * the guess buys nothing there. Vert.x shares one {@link FixedRecvByteBufAllocator} among a
 * server's connections only when {@code setReceiveBufferSize} is set, which also fixes the kernel's
 * {@code SO_RCVBUF} (and so turns off its receive-window autotuning): not wanted. Its transport SPI
 * configures every server bootstrap, so this wrapper adds the allocator there, as a child option.
 *
 * <p>What: every read of an accepted connection reads into a pooled buffer of {@link
 * #READ_BUFFER_BYTES}, Netty's own first guess; the buffer lives for the read, not the connection
 * (a decoder keeps only a frame's unread rest). A frame larger than that arrives in several reads,
 * as it did before beyond 64 KB: every decoder on the path accumulates. A server whose options set
 * a receive buffer size keeps Vert.x's allocator of that size. Clients (the node's own connections)
 * and UDP are left as they are. NIO is not wrapped: Vert.x tells a native transport from NIO by its
 * class ({@code VertxImpl.isNativeTransportEnabled}), and the node only runs epoll or io_uring in
 * production ({@link IoTransports}).
 */
final class SharedReadBuffers implements Transport {

  /** The size of every read of an accepted connection: Netty's adaptive allocator's first guess. */
  static final int READ_BUFFER_BYTES = 2048;

  private static final RecvByteBufAllocator SHARED =
      new FixedRecvByteBufAllocator(READ_BUFFER_BYTES);

  private final Transport transport;
  private final Spi spi;

  private SharedReadBuffers(Transport transport) {
    this.transport = transport;
    this.spi = new Spi(transport.implementation());
  }

  /** {@code transport} with the shared allocator; NIO (or null) as it is. */
  static Transport wrap(Transport transport) {
    return transport == null || transport == Transport.NIO
        ? transport
        : new SharedReadBuffers(transport);
  }

  /** The allocator every accepted connection shares (for tests). */
  static RecvByteBufAllocator allocator() {
    return SHARED;
  }

  @Override
  public String name() {
    return transport.name();
  }

  @Override
  public boolean available() {
    return transport.available();
  }

  @Override
  public Throwable unavailabilityCause() {
    return transport.unavailabilityCause();
  }

  @Override
  public io.vertx.core.spi.transport.Transport implementation() {
    return spi;
  }

  @Override
  public String toString() {
    return transport.name() + " (shared read buffers)";
  }

  /**
   * Vert.x's transport, unchanged but for {@link #configure(TcpConfig, boolean, ServerBootstrap)}.
   */
  private record Spi(io.vertx.core.spi.transport.Transport delegate)
      implements io.vertx.core.spi.transport.Transport {

    @Override
    public void configure(TcpConfig config, boolean domainSocket, ServerBootstrap bootstrap) {
      delegate.configure(config, domainSocket, bootstrap);
      if (!bootstrap.config().childOptions().containsKey(ChannelOption.RCVBUF_ALLOCATOR)) {
        bootstrap.childOption(ChannelOption.RCVBUF_ALLOCATOR, SHARED);
      }
    }

    @Override
    public void configure(TcpConfig config, boolean domainSocket, Bootstrap bootstrap) {
      delegate.configure(config, domainSocket, bootstrap);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      delegate.configure(channel, options);
    }

    @Override
    public boolean supportsDomainSockets() {
      return delegate.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return delegate.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return delegate.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return delegate.unavailabilityCause();
    }

    @Override
    public java.net.SocketAddress convert(SocketAddress address) {
      return delegate.convert(address);
    }

    @Override
    public SocketAddress convert(java.net.SocketAddress address) {
      return delegate.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return delegate.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(
        int type, int threads, ThreadFactory threadFactory, int ioRatio) {
      return delegate.eventLoopGroup(type, threads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return delegate.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
      return delegate.datagramChannelFactory();
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return delegate.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      return delegate.serverChannelFactory(domainSocket);
    }
  }
}

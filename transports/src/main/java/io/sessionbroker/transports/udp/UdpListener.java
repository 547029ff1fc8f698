package io.sessionbroker.transports.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.internal.ContextInternal;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP socket on one event loop, handing every datagram to the shared {@link UdpProtocol}.
 * Several of them may share the port through {@code SO_REUSEPORT}: the kernel then hashes each
 * source address to one socket, so one device's datagrams stay in order on one event loop.
 */
final class UdpListener extends VerticleBase implements Outlet {

  private static final Logger log = LoggerFactory.getLogger(UdpListener.class);

  private final UdpOptions options;
  private final int port;
  private final boolean reusePort;
  private final UdpProtocol protocol;
  private final UdpStats stats;
  private DatagramSocket socket;
  private DatagramChannel channel;

  /** What every heartbeat gets back; direct, so that no write copies it. */
  private static final ByteBuf PONG =
      Unpooled.unreleasableBuffer(
          Unpooled.directBuffer().writeBytes(Frames.pong().getBytes()).asReadOnly());

  /** Counts a write the kernel refused; shared by every write, so none allocates a listener. */
  private final ChannelFutureListener sendFailed = this::sent;

  private void sent(ChannelFuture future) {
    if (!future.isSuccess()) {
      stats.count(Counter.SEND_FAILED);
      log.debug("udp_send_failed", future.cause());
    }
  }

  UdpListener(
      UdpOptions options, int port, boolean reusePort, UdpProtocol protocol, UdpStats stats) {
    this.options = options;
    this.port = port;
    this.reusePort = reusePort;
    this.protocol = protocol;
    this.stats = stats;
  }

  @Override
  public Future<?> start() {
    DatagramSocketOptions socketOptions =
        new DatagramSocketOptions()
            .setIpV6(options.host().indexOf(':') >= 0)
            .setReusePort(reusePort);
    // Not socketOptions.setReceiveBufferSize: see DatagramTuning.
    socket = vertx.createDatagramSocket(socketOptions);
    int granted =
        DatagramTuning.apply(socket, options.receiveBufferBytes(), options.maxDatagramBytes());
    if (options.receiveBufferBytes() > 0 && granted < options.receiveBufferBytes()) {
      log.info(
          "udp_receive_buffer asked={} granted={}: the kernel caps it at net.core.rmem_max; raise that "
              + "(sysctl -w net.core.rmem_max=...) if bursts of datagrams are dropped",
          options.receiveBufferBytes(),
          granted);
    }
    channel = DatagramTuning.channel(socket);
    // Ahead of Vert.x's own handler, which would copy each datagram, wrap it and its sender in
    // objects of its own and resolve the sender's address again for every answer (issue 17).
    channel.pipeline().addBefore(DatagramTuning.VERTX_HANDLER, "udp-inlet", new Inlet());
    if (ReadPacer.paces(channel)) {
      channel
          .pipeline()
          .addBefore(
              "udp-inlet",
              "udp-pacer",
              new ReadPacer(options.readPauseMicros(), DatagramTuning.MESSAGES_PER_READ));
    }
    socket.exceptionHandler(e -> log.warn("udp_socket_error port={}", port, e));
    return socket.listen(port, options.host());
  }

  @Override
  public Future<?> stop() {
    return socket == null ? Future.succeededFuture() : socket.close();
  }

  /** The port this socket is bound to (the chosen one when asked for port 0). */
  int boundPort() {
    return socket.localAddress().port();
  }

  /**
   * Sends from this socket's event loop: at once when called there (replies), else as a task on it
   * (welcomes and byes from the table's thread). Datagrams sent from one thread thus leave in the
   * order they were sent.
   */
  @Override
  public void send(Buffer datagram, String host, int port) {
    if (context.isEventLoopContext() && Vertx.currentContext() == context) {
      sendNow(datagram, host, port);
    } else {
      context.runOnContext(v -> sendNow(datagram, host, port));
    }
  }

  @Override
  public void post(Buffer datagram, String host, int port) {
    context.runOnContext(v -> sendNow(datagram, host, port));
  }

  @Override
  public void pong(InetSocketAddress to) {
    channel.write(new DatagramPacket(PONG.duplicate(), to)).addListener(sendFailed);
  }

  /**
   * Takes each datagram off the channel on its event loop and hands it to the protocol on this
   * verticle's context, as Vert.x's handler would ({@code emit}: the protocol's callbacks and
   * {@code Vertx.currentContext()} see the same context as before); flushes the answers of a read
   * batch together. The datagram's bytes are Netty's pooled buffer, released once the protocol
   * returns: the protocol copies what it keeps.
   */
  private final class Inlet extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof DatagramPacket packet)) {
        ctx.fireChannelRead(msg);
        return;
      }
      try {
        ((ContextInternal) context).emit(packet, this::receive);
      } finally {
        packet.release();
      }
    }

    private void receive(DatagramPacket packet) {
      protocol.receive(UdpListener.this, packet.content(), packet.sender());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      ctx.fireChannelReadComplete();
    }
  }

  private void sendNow(Buffer datagram, String host, int port) {
    socket
        .send(datagram, port, host)
        .onFailure(
            e -> {
              stats.count(Counter.SEND_FAILED);
              log.debug("udp_send_failed to={}:{}", host, port, e);
            });
  }
}

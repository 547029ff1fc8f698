package io.sessionbroker.transports;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.sessionbroker.transports.limits.AcceptGate;
import java.util.concurrent.CompletableFuture;

/**
 * Gives every connection a device listener accepts one shared receive-buffer allocator, instead of
 * one of its own (issue 17: 72 bytes per connection session).
 *
 * <p>Why: Netty's channel config builds an {@code AdaptiveRecvByteBufAllocator} for each channel,
 * and its read handle an {@code AdaptiveCalculator}: 72 bytes per connection that guess how much
 * the next read will bring, between 64 bytes and 64 KB. A device sends a few small frames a minute;
 * the guess buys nothing there. Vert.x shares one {@link FixedRecvByteBufAllocator} among a
 * server's connections only when {@code setReceiveBufferSize} is set, which also fixes the kernel's
 * {@code SO_RCVBUF} (and so turns off its receive-window autotuning): not wanted.
 *
 * <p>What: every read of an accepted device connection reads into a pooled buffer of {@link
 * #READ_BUFFER_BYTES}, Netty's own first guess; the buffer lives for the read, not the connection
 * (a decoder keeps only a frame's unread rest). A frame larger than that arrives in several reads,
 * as it did before beyond 64 KB: every decoder on the path accumulates.
 *
 * <p>Where: only on the device listeners' servers (raw TCP, MQTT, WebSocket; plain and TLS), which
 * {@link #install} is given one by one. The handler sits in the listening socket's own pipeline and
 * sets the allocator on each accepted socket as it is handed to Netty's acceptor, so before the
 * socket is registered with its event loop and reads anything. The clustered event bus, the TCP
 * event bus bridge and the HTTP API are not given to it and keep Netty's adaptive allocator: the
 * bus carries bulk streams (a stopping node's drain) that adaptive sizing reads in up to 64 KB
 * steps. A server whose options set a receive buffer size keeps Vert.x's allocator of that size
 * (the acceptor applies the server's child options after this handler). Connections accepted
 * between the listen and the install, before the broker says it is ready, keep their own.
 */
@ChannelHandler.Sharable
public final class SharedReadBuffers extends ChannelInboundHandlerAdapter {

  /** The size of every read of a device connection: Netty's adaptive allocator's first guess. */
  public static final int READ_BUFFER_BYTES = 2048;

  /** The handler's name in a listening socket's pipeline. */
  static final String NAME = "shared-read-buffers";

  private static final RecvByteBufAllocator SHARED =
      new FixedRecvByteBufAllocator(READ_BUFFER_BYTES);

  private static final SharedReadBuffers INSTANCE = new SharedReadBuffers();

  private SharedReadBuffers() {}

  /**
   * Makes the connections a listening device server accepts from now on share the allocator: a
   * {@code NetServer}, an {@code HttpServer} or an {@code MqttServer}, once it listens. A second
   * call for the same listening socket changes nothing. Completes when it is active ({@link
   * AcceptGate#addFirst}).
   *
   * @throws IllegalStateException when the server's internals are not what {@link AcceptGate}
   *     expects
   */
  public static CompletableFuture<Void> install(Object server) {
    return AcceptGate.addFirst(server, NAME, INSTANCE);
  }

  /** The allocator every accepted device connection shares. */
  public static RecvByteBufAllocator allocator() {
    return SHARED;
  }

  /** The accepted socket, on its way to the server's acceptor. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Channel child) {
      child.config().setRecvByteBufAllocator(SHARED);
    }
    ctx.fireChannelRead(msg);
  }
}

package io.sessionbroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Handler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds and checks the frames of the TCP event bus bridge before the bridge reads them: Netty's
 * {@link LengthFieldBasedFrameDecoder}, put in each bridge connection's pipeline in front of
 * Vert.x, hands the bridge one whole frame at a time, refuses a length prefix above {@code
 * bridge.maxFrameBytes} as soon as its 4 bytes are in (without reading or buffering toward the
 * length the client announced), and passes on only frames {@link BridgeFrameCheck} finds
 * well-formed.
 *
 * <p>Why: vertx-tcp-eventbus-bridge 5.1's {@code FrameParser} buffers toward any announced length
 * (the bytes {@code "GET "} announce 1.2 GB: {@code curl} hangs and the broker's heap grows with
 * whatever the client sends), throws on a negative one, only logs a frame that is not JSON, and
 * throws on an unknown {@code type} or a field of the wrong JSON type after it has consumed the
 * length prefix, so that the connection reads the next bytes from the middle of a frame. The
 * library has no option for any of this, and no hook before its parser.
 *
 * <p>The one reach into the library's internals: its private {@code server} field, to wrap the
 * connect handler it set ({@link #install}). {@code EventBridgeBadInputIT} fails when an upgrade
 * changes it (here, at start, with a message naming the library).
 */
final class BridgeFrames extends LengthFieldBasedFrameDecoder {

  private static final Logger log = LoggerFactory.getLogger(BridgeFrames.class);

  /** The length prefix: 4 bytes, big-endian, unsigned (the library's documentation says so). */
  private static final int PREFIX_BYTES = 4;

  private final int maxFrameBytes;
  private final BridgeFrameCheck check;

  /** Set once the connection is being closed: whatever else arrives is dropped unread. */
  private boolean closing;

  private BridgeFrames(int maxFrameBytes, Predicate<String> subscribable, String adminToken) {
    // the whole frame, prefix included, goes on to the bridge's own parser; fail fast: at once
    super(maxFrameBytes + PREFIX_BYTES, 0, PREFIX_BYTES, 0, 0, true);
    this.maxFrameBytes = maxFrameBytes;
    this.check = new BridgeFrameCheck(subscribable, adminToken);
  }

  /**
   * Puts a {@code BridgeFrames} in front of the bridge's parser on every connection the bridge
   * accepts, and Netty's {@link FlushConsolidationHandler} in front of its writes; call before
   * {@code listen}.
   *
   * @param subscribable the addresses the bridge lets a client register
   * @param adminToken the token every frame must carry ({@code http.adminToken}), or empty
   * @return the bridge's server (for {@code updateSSLOptions})
   */
  static NetServer install(
      TcpEventBusBridge bridge,
      BrokerConfig.BridgeOptions options,
      Predicate<String> subscribable,
      String adminToken) {
    int maxFrameBytes = options.maxFrameBytes();
    WriteBufferWaterMark backlog =
        new WriteBufferWaterMark(options.maxBacklogBytes() / 2, options.maxBacklogBytes());
    NetServer server = serverOf(bridge);
    Handler<NetSocket> library = server.connectHandler();
    server.connectHandler(
        socket -> {
          // Vert.x calls the connect handler on the connection's event loop as its handler joins
          // the pipeline, before the first read: no byte reaches the bridge unchecked.
          ChannelHandlerContext vertx = ((NetSocketInternal) socket).channelHandlerContext();
          vertx.channel().config().setWriteBufferWaterMark(backlog);
          // The bridge writes and flushes each frame on its own: one system call per event and
          // subscriber, and a wake-up of the subscriber per event, cost most of a node loss's
          // delivery (issue 16). Netty's consolidation flushes once the frames queued on the event
          // loop are written (at the latest every 256 frames), so a burst leaves in a few writes.
          vertx
              .pipeline()
              .addBefore(
                  vertx.name(),
                  "bridge-flushes",
                  new FlushConsolidationHandler(
                      FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
          vertx
              .pipeline()
              .addBefore(
                  vertx.name(),
                  "bridge-frames",
                  new BridgeFrames(maxFrameBytes, subscribable, adminToken));
          library.handle(socket);
        });
    return server;
  }

  private static NetServer serverOf(TcpEventBusBridge bridge) {
    try {
      Field server = TcpEventBusBridgeImpl.class.getDeclaredField("server");
      server.setAccessible(true);
      return (NetServer) server.get(bridge);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "vertx-tcp-eventbus-bridge has changed: its NetServer (field TcpEventBusBridgeImpl.server)"
              + " is needed to bound its frames; see BridgeFrames",
          e);
    }
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    if (closing) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    ByteBuf frame = (ByteBuf) super.decode(ctx, in);
    if (frame == null) {
      return null;
    }
    BridgeFrameCheck.Verdict verdict =
        check.check(
            frame.slice(frame.readerIndex() + PREFIX_BYTES, frame.readableBytes() - PREFIX_BYTES));
    if (verdict == null) {
      return frame;
    }
    frame.release();
    if (verdict == BridgeFrameCheck.DROP) {
      return null;
    }
    refuse(ctx, verdict.message(), verdict.close());
    if (verdict.close()) {
      in.skipBytes(in.readableBytes());
    }
    return null;
  }

  /**
   * A client that does not read what it subscribed to: the bridge writes on without looking at
   * {@code writeQueueFull}, so its frames would pile up in the broker without bound. Once {@code
   * bridge.maxBacklogBytes} wait for it, the connection ends (as Redis drops a pub/sub client past
   * its output buffer limit); the client can resume from the last {@code seq} it read ({@code
   * sessions.admin.events}).
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (!ctx.channel().isWritable() && !closing) {
      closing = true;
      log.info(
          "bridge_client_dropped remote={} reason=backlog limit_bytes={}",
          ctx.channel().remoteAddress(),
          ctx.channel().config().getWriteBufferHighWaterMark());
      ctx.close();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (cause instanceof TooLongFrameException) {
      // The length prefix announced more than maxFrameBytes (or, read unsigned, was "negative"):
      // the rest of the stream cannot be framed, so the connection ends here.
      log.debug(
          "bridge_frame_refused remote={} reason={} max={} detail={}",
          ctx.channel().remoteAddress(),
          BridgeFrameCheck.FRAME_TOO_LARGE,
          maxFrameBytes,
          cause.getMessage());
      refuse(ctx, BridgeFrameCheck.FRAME_TOO_LARGE, true);
      return;
    }
    if (cause instanceof IOException) {
      // A client that resets its connection is the network doing its job, not a broker error; the
      // bridge library would log it at ERROR with a stack trace, for any client, at will.
      log.debug("bridge_connection_lost remote={} cause={}", ctx.channel().remoteAddress(), cause);
      ctx.close();
      return;
    }
    super.exceptionCaught(ctx, cause);
  }

  /**
   * Answers with the bridge's {@code err} frame ({@code {"type":"err","message":…}}), written in
   * front of Vert.x as the bridge would write it; closes the connection once it is out if asked.
   */
  private void refuse(ChannelHandlerContext ctx, String message, boolean close) {
    if (closing) {
      return;
    }
    byte[] json =
        new JsonObject()
            .put("type", "err")
            .put("message", message)
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    ByteBuf err =
        Unpooled.buffer(PREFIX_BYTES + json.length).writeInt(json.length).writeBytes(json);
    if (close) {
      closing = true;
      ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.writeAndFlush(err);
    }
  }
}

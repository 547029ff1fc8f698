package io.sessionbroker.transports.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds the frames a device sent in the same read as its upgrade request until its WebSocket can
 * take them, so that they arrive, in order, instead of being lost.
 *
 * <p>Why: RFC 6455 §4.1 has a client wait for the 101 before it sends a frame, but a device that
 * does not wait (its hello right behind the request) still deserves its frames or a clear refusal.
 * Vert.x 5.1 gives it neither: while it answers the upgrade, Netty's HTTP decoder hands the bytes
 * it holds beyond the request to the new frame decoder, whose frames go to the pipeline's handler
 * of that moment, still the HTTP connection's. That connection queues them (it is reading the
 * request) and is then replaced by the WebSocket's; nothing reads that queue again. The device
 * waits for a welcome that never comes, and the frames' buffers are never released (measured from
 * outside: every such connection lost its hello; Netty's leak detector reported them;
 * docs/benchmarks.md).
 *
 * <p>What: the transport puts this handler right in front of Vert.x's on every HTTP connection. It
 * lets everything but WebSocket frames through; frames it keeps. Once the WebSocket exists and its
 * handlers are installed, {@link #handOver} removes the handler, which passes what it kept on to
 * the WebSocket first (through the UTF-8 validator and Vert.x's handler behind it), as Netty's own
 * decoders pass on what they hold when they are removed. A connection lost meanwhile releases them.
 * A device that waits for the 101 sends nothing early: the handler keeps nothing, and is gone once
 * the WebSocket opens.
 */
final class EarlyFrames extends ChannelInboundHandlerAdapter {

  static final String NAME = "wsEarlyFrames";

  /** The frames received before the hand-over, in order; null while there is none. */
  private List<WebSocketFrame> held;

  private EarlyFrames() {}

  /**
   * Puts the handler in front of Vert.x's on the HTTP connection, before it reads its request;
   * leaves a connection it does not know (another HTTP version) as it is.
   */
  static void install(HttpConnection connection) {
    if (connection instanceof HttpServerConnection http) {
      ChannelHandlerContext vertx = http.channelHandlerContext();
      vertx.pipeline().addBefore(vertx.name(), NAME, new EarlyFrames());
    }
  }

  /**
   * Called once the WebSocket's handlers are installed, on its event loop: gives it the frames that
   * came early and takes the handler out of the pipeline.
   */
  static void handOver(ChannelPipeline pipeline) {
    if (pipeline.get(NAME) != null) {
      pipeline.remove(NAME);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof WebSocketFrame frame) {
      if (held == null) {
        held = new ArrayList<>(2);
      }
      held.add(frame);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  /** The hand-over: what was held goes to the handlers behind this one, then a read's end. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    List<WebSocketFrame> frames = held;
    held = null;
    if (frames == null) {
      return;
    }
    if (!ctx.channel().isActive()) {
      frames.forEach(WebSocketFrame::release);
      return;
    }
    frames.forEach(ctx::fireChannelRead);
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (held != null) {
      held.forEach(WebSocketFrame::release);
      held = null;
    }
    ctx.fireChannelInactive();
  }
}

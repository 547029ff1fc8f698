package io.sessionbroker.transports.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import java.util.ArrayDeque;

/**
 * Holds what a WebSocket receives until its session can take it, frames and the frame layer's
 * errors alike, in the order they came, so that nothing the device sent first is lost or overtaken.
 *
 * <p>Why not Vert.x's {@code pause()}: it holds only the data frames. A close frame, a ping, and an
 * error of Netty's frame decoder or of the UTF-8 validator reach the WebSocket at once, so a frame
 * the protocol refuses, or the device's close, ended a connection whose session was still opening
 * before the frames sent ahead of it were read: a {@code bye}, a {@code data} or a malformed frame
 * sent first was dropped unread, and the close code was the one for a connection without a session
 * (found by {@code WebSocketFuzzIT}). And before the WebSocket exists Vert.x does not hold frames
 * at all: while it answers the upgrade, Netty's HTTP decoder hands the bytes it holds beyond the
 * request (a device that did not wait for the 101, which RFC 6455 §4.1 asks it to) to the frame
 * decoder, whose frames go to the HTTP connection of that moment, which queues them and is then
 * replaced; nothing reads that queue again. The device's hello was lost, and the frames' buffers
 * were never released (docs/benchmarks.md, twenty-third round).
 *
 * <p>What: the transport puts the gate in front of Vert.x's handler on every HTTP connection,
 * behind Netty's UTF-8 validator (installed here too, so that early frames are checked like any).
 * Closed, it keeps every WebSocket frame and every error raised once the connection speaks
 * WebSocket, and lets everything else through (the HTTP request). {@link #pass} opens it: what it
 * kept goes on, in order, and so does what comes, until the WebSocket's connection {@link #hold}s
 * it again (a hello was read: the rest waits until the session is open). {@link #leave} passes on
 * what it kept and takes the gate out of the pipeline: an open session reads straight on. While it
 * holds {@link #READ_AHEAD} frames it stops reading the socket, as Vert.x's own queue does. A
 * connection lost meanwhile releases what was kept.
 */
final class FrameGate extends ChannelInboundHandlerAdapter {

  private static final String NAME = "wsFrameGate";

  /** Frames kept before the gate stops reading the socket: Vert.x's queue stops at 8 too. */
  static final int READ_AHEAD = 8;

  /** Frames and errors kept, in order; null while there is none. */
  private ArrayDeque<Object> held;

  private boolean open;
  private ChannelHandlerContext ctx;

  private FrameGate() {}

  /**
   * Puts Netty's UTF-8 validator and a closed gate in front of Vert.x's handler on the HTTP
   * connection, before it reads its request. The transport's servers speak HTTP/1.1 only, whose
   * connections are Vert.x's {@code HttpServerConnection}: a Vert.x that builds them otherwise
   * fails here, at the first connection, rather than leave WebSockets without the gate.
   *
   * <p>RFC 6455 §8.1: a text message that is not UTF-8 fails the connection with 1007. Vert.x does
   * not check it (its server pipeline has Netty's frame decoder only), so this installs the
   * validator Netty's own {@code WebSocketServerProtocolHandler} puts behind the decoder: it checks
   * every text message as its fragments arrive and reports a {@link
   * CorruptedWebSocketFrameException} with status 1007; it does not close the channel itself
   * ({@code false}): the transport sends the close frame. Until the upgrade it lets the HTTP
   * messages through. Ours ({@link FrameValidator}) also checks close frames: a code above 4999
   * fails with 1002, a reason that ends inside a character with 1007.
   */
  static void install(HttpConnection connection) {
    ChannelHandlerContext vertx = ((HttpServerConnection) connection).channelHandlerContext();
    ChannelPipeline pipeline = vertx.pipeline();
    pipeline.addBefore(vertx.name(), "wsUtf8Validator", new FrameValidator());
    pipeline.addBefore(vertx.name(), NAME, new FrameGate());
  }

  /** The gate of a WebSocket's pipeline ({@link #install}). */
  static FrameGate of(ChannelPipeline pipeline) {
    return (FrameGate) pipeline.get(NAME);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Closes the gate: what comes from now on is kept. */
  void hold() {
    open = false;
  }

  /** Opens the gate: what was kept goes on, in order, then whatever comes, until {@link #hold}. */
  void pass() {
    open = true;
    flush();
  }

  /** Passes on what was kept and takes the gate out of the pipeline. */
  void leave() {
    pass();
    if (open && !ctx.isRemoved()) { // a frame passed on may have closed the channel
      ctx.pipeline().remove(this);
    }
  }

  /**
   * Passes on what was kept while the gate is open: a frame passed on may close it again (a hello).
   */
  private void flush() {
    boolean passed = false;
    Object next;
    while (open && held != null && (next = held.poll()) != null) {
      passed = true;
      if (next instanceof Throwable error) {
        discard(); // Vert.x closes the channel on an error: what came after it is not read
        ctx.fireExceptionCaught(error);
      } else {
        ctx.fireChannelRead(next);
      }
    }
    if (passed) {
      ctx.fireChannelReadComplete();
    }
    if (open && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (open || !(msg instanceof WebSocketFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    keep(msg);
    if (held.size() >= READ_AHEAD) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  /**
   * An error of the frame layer waits behind the frames before it. Errors before the upgrade (no
   * frame decoder yet) are the HTTP connection's.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (open || ctx.pipeline().get(WebSocketFrameDecoder.class) == null) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    keep(cause);
  }

  private void keep(Object msg) {
    if (held == null) {
      held = new ArrayDeque<>(4);
    }
    held.add(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    discard();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    discard();
  }

  private void discard() {
    if (held != null) {
      held.forEach(ReferenceCountUtil::release);
      held = null;
    }
  }
}

package io.sessionbroker.transports.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket's last frame and its close frame written with one flush: one TCP segment and one
 * {@code sendto} instead of two.
 *
 * <p>Why (issue 17, a mass close): Vert.x flushes every frame written outside a read at once, so a
 * session's end was two system calls on its event loop — the {@code bye} text frame, then the close
 * frame — and on loopback each also runs the receiving side's TCP processing and wakes the reader,
 * once per frame. A thousand sessions ending at once are a thousand such ends queued on the loops
 * (docs/benchmarks.md, "Mass close, sixth round").
 *
 * <p>How: while {@code writes} runs, a handler placed right in front of Vert.x's own (whose context
 * the WebSocket exposes, and through which every frame Vert.x writes passes) holds the flushes
 * back; then it leaves the pipeline and the channel is flushed once. The frames themselves still go
 * through Vert.x (its write queue, its order, its close handshake); only when they reach the socket
 * changes. Why not Netty's {@code FlushConsolidationHandler}: outside a read it still flushes every
 * {@code n}-th time, or later from a task of its own, and it would stay in every connection's
 * pipeline; this one lives for the two writes of an end and then is gone. On the channel's event
 * loop only (Vert.x writes straight through there); elsewhere {@code writes} runs as it is.
 */
final class LastWords extends ChannelOutboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(LastWords.class);
  private static final String NAME = "wsLastWords";

  /** Whether a flush was held back: the one flush at the end is owed. */
  private boolean held;

  private LastWords() {}

  /**
   * Runs {@code writes} with the flushes of {@code vertx}'s channel held back, then flushes once.
   */
  static void inOneFlush(ChannelHandlerContext vertx, Runnable writes) {
    if (!vertx.executor().inEventLoop()
        || vertx.isRemoved()
        || vertx.pipeline().get(NAME) != null) {
      writes.run();
      return;
    }
    LastWords holder = new LastWords();
    try {
      vertx.pipeline().addBefore(vertx.name(), NAME, holder);
    } catch (RuntimeException e) { // the channel's pipeline is being torn down
      log.debug("ws_last_words_not_held error={}", e.toString());
      writes.run();
      return;
    }
    try {
      writes.run();
    } finally {
      if (vertx.pipeline().context(holder) != null) {
        vertx.pipeline().remove(holder);
      }
      if (holder.held) {
        vertx.flush();
      }
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    held = true;
  }
}

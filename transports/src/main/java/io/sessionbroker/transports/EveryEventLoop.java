package io.sessionbroker.transports;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Serves a listening port from every event loop of the Vert.x instance, not only from the one of
 * the verticle that opened it.
 *
 * <p>Why: a Vert.x server hands each accepted connection to an event loop of the servers listening
 * on its port, in turn, and a server listens from one context, so from one event loop. A transport
 * deployed once therefore ran all its connections on one thread: in a mass expiry the closes of a
 * thousand devices queued on that thread while the other loops had nothing to do, and its last
 * heartbeats were read one after another there too (issue 17; docs/benchmarks.md, "Mass close and
 * reconnect storm"). Vert.x's own answer is to deploy the verticle several times; a transport's
 * connections share state (the connection count, the limits), so instead the transport listens once
 * more from a context on each other loop. Vert.x shares the bound socket between servers listening
 * on the same port of one Vert.x instance (its "server sharing"), so this binds nothing more.
 *
 * <p>Handlers run on the loop of the server that accepted the connection: a transport takes the
 * current context in its connect handler, never its verticle's.
 */
public final class EveryEventLoop {

  /** Keys for "any free port" shared by the servers of one listener (see {@link #port}). */
  private static final AtomicInteger FREE_PORT_KEYS = new AtomicInteger();

  private EveryEventLoop() {}

  /**
   * The port to give every server of one listener: the configured port as it is; for 0 (any free
   * port, as tests use) a negative port of this listener's own, which Vert.x binds to one free port
   * shared by the servers given the same negative port (with 0 each server would bind a port of its
   * own).
   */
  public static int port(int configured) {
    return configured != 0 ? configured : -FREE_PORT_KEYS.incrementAndGet();
  }

  /**
   * Calls {@code listenFrom} once for each event loop but the current context's, with a context on
   * that loop that closes with the current one (the verticle's: undeploying closes the servers).
   * Call it from the verticle's context once its first server listens.
   *
   * @param listenFrom starts one more server listening on the port from the given context
   * @return completes once they all listen
   */
  public static Future<Void> listenOnOtherLoops(
      Vertx vertx, Function<ContextInternal, Future<?>> listenFrom) {
    VertxInternal internal = (VertxInternal) vertx;
    ContextInternal current = internal.getOrCreateContext();
    List<Future<?>> listening = new ArrayList<>();
    for (EventExecutor executor : internal.nettyEventLoopGroup()) {
      if (executor == current.nettyEventLoop() || !(executor instanceof EventLoop loop)) {
        continue;
      }
      ContextInternal context =
          internal
              .contextBuilder()
              .withEventLoop(loop)
              .withCloseFuture(current.closeFuture())
              .build();
      listening.add(listenFrom.apply(context));
    }
    return Future.all(listening).mapEmpty();
  }
}

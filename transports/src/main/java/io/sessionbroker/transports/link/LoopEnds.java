package io.sessionbroker.transports.link;

import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session ends the table hands to the connections of one context (one event loop), run there at
 * most {@link #SLICE} at a time, with the loop's socket reads between two slices.
 *
 * <p>Why not one task per end, as {@code runOnContext} would give: a mass expiry hands a loop
 * hundreds or thousands of ends at once, and Netty runs a loop's queued tasks for up to a second
 * ({@code io.netty.eventLoop.maxTaskProcessingQuantumMs}) before it reads its sockets again. The
 * heartbeats of the loop's other devices waited unread meanwhile, and so did the loop's stamp for
 * the table's stall guard ({@code EventLoopWatch}), queued behind the closes, so the guard held
 * every eviction back until the loop was through: the mass close held itself back (measured, issue
 * 17: evictions held for up to 1.6 s when 10,000 of 19,000 devices went silent at once, and up to
 * 1.1 s in a broker's first mass expiry; docs/benchmarks.md, "Mass close and reconnect storm").
 * Here a slice runs as one task; if ends remain, the next slice is scheduled due at once, which
 * Netty runs only after polling the loop's sockets (without waiting) and together with the other
 * scheduled tasks that are due, the guard's stamp among them.
 *
 * <p>Each end runs once, in the order handed in, on the context's thread with the context current.
 */
final class LoopEnds {

  private static final Logger log = LoggerFactory.getLogger(LoopEnds.class);

  /** Ends per slice: ~2–4 ms of closes on a warm loop here, far below the stall guard's bound. */
  static final int SLICE = 64;

  /** The key of a context's {@code LoopEnds} in its context data. */
  private static final Object KEY = new Object();

  private final ContextInternal context;
  private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();

  /** Whether a slice is queued or running: at most one at a time. */
  private final AtomicBoolean draining = new AtomicBoolean();

  private LoopEnds(ContextInternal context) {
    this.context = context;
  }

  /** The ends of {@code context} (an event-loop context); from any thread. */
  static LoopEnds of(Context context) {
    ContextInternal internal = (ContextInternal) context;
    return (LoopEnds) internal.contextData().computeIfAbsent(KEY, k -> new LoopEnds(internal));
  }

  /** Runs {@code end} on the context after the ends handed in before it; from any thread. */
  void add(Runnable end) {
    pending.add(end);
    if (draining.compareAndSet(false, true)) {
      context.runOnContext(v -> slice());
    }
  }

  private void slice() {
    for (int i = 0; i < SLICE; i++) {
      Runnable end = pending.poll();
      if (end == null) {
        draining.set(false);
        // An end added after the poll found draining still set and queued no slice of its own.
        if (pending.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      try {
        end.run();
      } catch (RuntimeException e) {
        log.warn("connection_end_failed", e);
      }
    }
    context.nettyEventLoop().schedule(() -> context.dispatch(this::slice), 0, TimeUnit.NANOSECONDS);
  }
}

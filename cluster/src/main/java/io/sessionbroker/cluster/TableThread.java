package io.sessionbroker.cluster;

import io.vertx.core.ThreadingModel;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.WorkerPool;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The session table's own thread: one thread that runs both the table's tasks (as a Vert.x worker
 * context, so the table's futures and event-bus sends behave as on any worker) and its eviction
 * tick. Written here rather than taken from Vert.x because a Vert.x worker pool cannot also
 * schedule: with the tick on a thread of its own, every tick woke two threads (the ticker, then the
 * worker it handed the tick to), 200 times a second whatever the load (docs/benchmarks.md, "The
 * tick on the table's thread").
 */
final class TableThread {

  /** How long the thread outlives a stopped table with nothing to do. */
  private static final long LINGER_MS = 1_000;

  private TableThread() {}

  /** A daemon thread, started, with nothing scheduled yet. */
  static ScheduledThreadPoolExecutor start() {
    ScheduledThreadPoolExecutor thread =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread table = new Thread(task, "session-table");
              table.setDaemon(true);
              return table;
            });
    thread.setRemoveOnCancelPolicy(true);
    thread.prestartCoreThread();
    return thread;
  }

  /** A Vert.x worker context whose tasks run, in order, on {@code thread}. */
  static ContextInternal context(VertxInternal vertx, ScheduledThreadPoolExecutor thread) {
    return vertx
        .contextBuilder()
        .withThreadingModel(ThreadingModel.WORKER)
        .withWorkerPool(new WorkerPool(thread, null))
        .build();
  }

  /**
   * Lets the thread end once it has been idle for a second, instead of shutting it down: a task
   * handed to the table while the broker stops (a connection closing) still runs, on a thread
   * started again for it, and nothing is refused.
   */
  static void release(ScheduledThreadPoolExecutor thread) {
    thread.setKeepAliveTime(LINGER_MS, TimeUnit.MILLISECONDS);
    thread.allowCoreThreadTimeOut(true);
  }
}

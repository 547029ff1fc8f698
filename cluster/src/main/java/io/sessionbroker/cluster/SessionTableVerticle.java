package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Gives the session table a thread of its own (this verticle's event loop) and drives its eviction tick.
 * The table exists once this verticle has started.
 */
public final class SessionTableVerticle extends VerticleBase {

  /** Events a standalone node keeps for replay: about 5 MB of JSON (each kept event is ~500 bytes). */
  public static final int STANDALONE_EVENT_LOG = 10_000;

  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final String nodeId;
  private final EventLog eventLog;
  private SessionTable table;
  private EventPipeline pipeline;
  private EventLoopWatch watch;

  public SessionTableVerticle(
      TableOptions options, Clock clock, DeviceDirectory directory, EventLog eventLog, String nodeId) {
    this.options = options;
    this.clock = clock;
    this.directory = directory;
    this.eventLog = eventLog;
    this.nodeId = nodeId;
  }

  /** A standalone table: directory and event log in this process. */
  public SessionTableVerticle(TableOptions options, Clock clock, String nodeId) {
    this(options, clock, new LocalDirectory(), new LocalEventLog(STANDALONE_EVENT_LOG), nodeId);
  }

  @Override
  public Future<?> start() {
    pipeline = new EventPipeline(vertx.eventBus(), eventLog);
    table = new SessionTable(
        options,
        clock,
        directory,
        new EventBusEvents(vertx.eventBus(), pipeline, nodeId),
        nodeId,
        task -> context.runOnContext(v -> task.run()));
    // A stall of 5 ticks on any event loop holds evictions until the loops have read what was waiting.
    watch = new EventLoopWatch(((io.vertx.core.internal.VertxInternal) vertx).nettyEventLoopGroup(), clock,
        options.tickMs(), 5L * options.tickMs());
    table.readingUntil(watch);
    vertx.setPeriodic(options.tickMs(), id -> table.tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    if (watch != null) {
      watch.close();
    }
    return Future.succeededFuture();
  }

  public SessionTable table() {
    return table;
  }

  /** Where this node's events are numbered and published; node-loss closes go out through it too. */
  public EventPipeline pipeline() {
    return pipeline;
  }
}

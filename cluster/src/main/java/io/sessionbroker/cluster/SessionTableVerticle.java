package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Gives the session table a thread of its own (this verticle's event loop) and drives its eviction tick.
 * The table exists once this verticle has started.
 */
public final class SessionTableVerticle extends VerticleBase {

  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final String nodeId;
  private final EventLog eventLog;
  private SessionTable table;
  private EventPipeline pipeline;

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
    this(options, clock, new LocalDirectory(), new LocalEventLog(100_000), nodeId);
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
    vertx.setPeriodic(options.tickMs(), id -> table.tick());
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

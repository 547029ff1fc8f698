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
  private SessionTable table;

  public SessionTableVerticle(TableOptions options, Clock clock, DeviceDirectory directory, String nodeId) {
    this.options = options;
    this.clock = clock;
    this.directory = directory;
    this.nodeId = nodeId;
  }

  @Override
  public Future<?> start() {
    table = new SessionTable(
        options,
        clock,
        directory,
        new EventBusEvents(vertx.eventBus(), nodeId),
        nodeId,
        task -> context.runOnContext(v -> task.run()));
    vertx.setPeriodic(options.tickMs(), id -> table.tick());
    return Future.succeededFuture();
  }

  public SessionTable table() {
    return table;
  }
}

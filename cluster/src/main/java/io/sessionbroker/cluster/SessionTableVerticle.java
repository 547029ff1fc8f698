package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Gives the session table a thread of its own (this verticle's context: the broker deploys it as a worker, so
 * it shares no event loop with a transport) and drives its eviction tick every {@code table.tickMs} through a
 * {@link Ticker} ({@link Ticker#scheduler()} unless a test injects one). The table exists once this verticle has
 * started.
 */
public final class SessionTableVerticle extends VerticleBase {

  /**
   * How long an event loop may go without running before evictions wait for it. A loop busy with a burst (a
   * thousand closes at once, a connect storm) runs late by tens of milliseconds and must not delay evictions;
   * a stalled one (a long GC, an overloaded host) falls seconds behind and must not cause them. Measured: 50 ms
   * held evictions of 1,000 simultaneous expiries back by up to 270 ms on 2 cores.
   */
  static final long STALL_MS = 500;

  /**
   * How often each event loop stamps the time for the stall guard. Far below {@link #STALL_MS}, which is all
   * the guard needs; every stamp wakes an idle loop, so not every tick (that was 400 wake-ups a second, about
   * half of an idle broker's CPU).
   */
  static final long STAMP_MS = 100;

  /** Events a standalone node keeps for replay: about 3 MB (each is kept as ~300 bytes of encoded JSON). */
  public static final int STANDALONE_EVENT_LOG = 10_000;

  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final String nodeId;
  private final EventLog eventLog;
  private final Ticker ticker;
  private SessionTable table;
  private EventPipeline pipeline;
  private EventLoopWatch watch;
  private Ticker.Stop ticking;

  public SessionTableVerticle(
      TableOptions options,
      Clock clock,
      DeviceDirectory directory,
      EventLog eventLog,
      String nodeId,
      Ticker ticker) {
    this.options = options;
    this.clock = clock;
    this.directory = directory;
    this.eventLog = eventLog;
    this.nodeId = nodeId;
    this.ticker = ticker;
  }

  public SessionTableVerticle(
      TableOptions options, Clock clock, DeviceDirectory directory, EventLog eventLog, String nodeId) {
    this(options, clock, directory, eventLog, nodeId, Ticker.scheduler());
  }

  /** A standalone table: directory and event log in this process. */
  public SessionTableVerticle(TableOptions options, Clock clock, String nodeId) {
    this(options, clock, nodeId, Ticker.scheduler());
  }

  /** A standalone table driven by {@code ticker}. */
  public SessionTableVerticle(TableOptions options, Clock clock, String nodeId, Ticker ticker) {
    this(options, clock, new LocalDirectory(), new LocalEventLog(STANDALONE_EVENT_LOG), nodeId, ticker);
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
    // A stall of an event loop longer than STALL_MS holds evictions until the loops have read what was waiting.
    watch = new EventLoopWatch(((io.vertx.core.internal.VertxInternal) vertx).nettyEventLoopGroup(), clock,
        STAMP_MS, STALL_MS);
    table.readingUntil(watch);
    ticking = ticker.start(options.tickMs(), () -> context.runOnContext(v -> table.tick()));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    if (ticking != null) {
      ticking.stop();
    }
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

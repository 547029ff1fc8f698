package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Gives the session table a thread of its own ({@link TableThread}: a worker context on one thread
 * that shares no event loop with a transport) and drives its eviction tick every {@code
 * table.tickMs} through a {@link Ticker} ({@link Ticker#scheduler()}, which ticks on that same
 * thread, unless the caller gives another: a test ticks by hand). The table exists once this
 * verticle has started; everything it needs is given to the {@link Builder} before.
 */
public final class SessionTableVerticle extends VerticleBase {

  /**
   * How long an event loop may go without running before evictions wait for it. A loop busy with a
   * burst (a thousand closes at once, a connect storm) runs late by tens of milliseconds and must
   * not delay evictions; a stalled one (a long GC, an overloaded host) falls seconds behind and
   * must not cause them. Well above a burst's lateness, well below a stall: docs/benchmarks.md,
   * "Why the defaults", has the measurement.
   */
  static final long STALL_MS = 500;

  /**
   * How often each event loop stamps the time for the stall guard. Far below {@link #STALL_MS},
   * which is all the guard needs; every stamp wakes an idle loop, so not every tick
   * (docs/benchmarks.md, "Why the defaults": what stamping on every tick cost an idle broker).
   */
  static final long STAMP_MS = 100;

  /**
   * Events a standalone node keeps for replay: about 3 MB (each is kept as ~300 bytes of encoded
   * JSON).
   */
  public static final int STANDALONE_EVENT_LOG = 10_000;

  private final TableOptions options;
  private final Clock clock;
  private final String nodeId;
  private final DeviceDirectory directory;
  private final EventLog eventLog;
  private final Ticker ticker;
  private final RemoteTakeover remoteTakeover;
  private final Fence fence;
  private final Flapping flapping;
  private final CommandOptions commands;
  private SessionTable table;
  private EventPipeline pipeline;
  private EventLoopWatch watch;
  private Ticker.Stop ticking;
  private ScheduledThreadPoolExecutor tableThread;

  private SessionTableVerticle(Builder builder) {
    this.options = builder.options;
    this.clock = builder.clock;
    this.nodeId = builder.nodeId;
    this.directory = builder.directory;
    this.eventLog =
        builder.eventLog != null ? builder.eventLog : new LocalEventLog(STANDALONE_EVENT_LOG);
    this.ticker = builder.ticker;
    this.remoteTakeover = builder.remoteTakeover;
    this.fence = builder.fence;
    this.flapping = builder.flapping;
    this.commands = builder.commands;
  }

  /** A standalone table (directory and event log in this process) on the scheduler's tick. */
  public SessionTableVerticle(TableOptions options, Clock clock, String nodeId) {
    this(builder(options, clock, nodeId));
  }

  /** Starts building a table verticle; what is not given takes its standalone default. */
  public static Builder builder(TableOptions options, Clock clock, String nodeId) {
    return new Builder(options, clock, nodeId);
  }

  /** What a {@link SessionTableVerticle} is built with. Not thread-safe; use once. */
  public static final class Builder {

    private final TableOptions options;
    private final Clock clock;
    private final String nodeId;
    private DeviceDirectory directory = new LocalDirectory();
    private EventLog eventLog;
    private Ticker ticker = Ticker.scheduler();
    private RemoteTakeover remoteTakeover = RemoteTakeover.NONE;
    private Fence fence = new Fence();
    private Flapping flapping = Flapping.OFF;
    private CommandOptions commands = CommandOptions.defaults();

    private Builder(TableOptions options, Clock clock, String nodeId) {
      this.options = Objects.requireNonNull(options, "options");
      this.clock = Objects.requireNonNull(clock, "clock");
      this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    }

    /** Who holds which device; default: this process only. */
    public Builder directory(DeviceDirectory directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Where events are numbered and kept for replay; default: the last {@link
     * #STANDALONE_EVENT_LOG} here.
     */
    public Builder eventLog(EventLog eventLog) {
      this.eventLog = Objects.requireNonNull(eventLog, "eventLog");
      return this;
    }

    /** What drives the eviction tick; default: {@link Ticker#scheduler()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** How a takeover reaches another node; default: none (standalone). */
    public Builder remoteTakeover(RemoteTakeover remoteTakeover) {
      this.remoteTakeover = Objects.requireNonNull(remoteTakeover, "remoteTakeover");
      return this;
    }

    /** The fence the cluster's quorum watch raises; default: one nobody raises (standalone). */
    public Builder fence(Fence fence) {
      this.fence = Objects.requireNonNull(fence, "fence");
      return this;
    }

    /** Flapping detection ({@link SessionTableBuilder#flapping}); default: off. */
    public Builder flapping(Flapping flapping) {
      this.flapping = Objects.requireNonNull(flapping, "flapping");
      return this;
    }

    /** The settings of commands to devices; default: {@link CommandOptions#defaults()}. */
    public Builder commands(CommandOptions commands) {
      this.commands = Objects.requireNonNull(commands, "commands");
      return this;
    }

    public SessionTableVerticle build() {
      return new SessionTableVerticle(this);
    }
  }

  @Override
  public Future<?> start() {
    pipeline = new EventPipeline(vertx.eventBus(), eventLog);
    // A stall of an event loop longer than STALL_MS holds evictions until the loops have read what
    // was waiting.
    watch =
        new EventLoopWatch(
            ((VertxInternal) vertx).nettyEventLoopGroup(), clock, STAMP_MS, STALL_MS);
    tableThread = TableThread.start();
    ContextInternal tableContext = TableThread.context((VertxInternal) vertx, tableThread);
    table =
        SessionTable.builder(options, clock, nodeId)
            .directory(directory)
            .events(new EventBusEvents(vertx.eventBus(), pipeline, nodeId))
            .executor(task -> tableContext.runOnContext(v -> task.run()))
            .remoteTakeover(remoteTakeover)
            .readingUntil(watch)
            .fence(fence)
            .flapping(flapping)
            .commands(commands)
            .eventLog(eventLog)
            .build();
    ticking =
        ticker.startOn(
            tableThread, options.tickMs(), () -> tableContext.runOnContext(v -> table.tick()));
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
    if (tableThread != null) {
      TableThread.release(tableThread);
    }
    return Future.succeededFuture();
  }

  public SessionTable table() {
    return table;
  }

  /**
   * Where this node's events are numbered and published; node-loss closes go out through it too.
   */
  public EventPipeline pipeline() {
    return pipeline;
  }
}

package io.sessionbroker.cluster;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The collaborators of a {@link SessionTable}, given before it exists. Not thread-safe; use once.
 */
public final class SessionTableBuilder {

  final TableOptions options;
  final Clock clock;
  final String nodeId;
  DeviceDirectory directory = new LocalDirectory();
  SessionEvents events;
  Executor executor;
  RemoteTakeover remoteTakeover = RemoteTakeover.NONE;
  LongSupplier readingUntil = () -> Long.MAX_VALUE;
  Fence fence = new Fence();
  Flapping flapping = Flapping.OFF;
  CommandOptions commands = CommandOptions.defaults();
  EventLog eventLog;

  SessionTableBuilder(TableOptions options, Clock clock, String nodeId) {
    this.options = Objects.requireNonNull(options, "options");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
  }

  /** Who holds which device; default: this process only ({@link LocalDirectory}). */
  public SessionTableBuilder directory(DeviceDirectory directory) {
    this.directory = Objects.requireNonNull(directory, "directory");
    return this;
  }

  /** Where the table announces opens, closes, rejections and device traffic. Required. */
  public SessionTableBuilder events(SessionEvents events) {
    this.events = events;
    return this;
  }

  /**
   * Runs a task on the table's thread, in submission order; a direct executor ({@code
   * Runnable::run}) in unit tests. Required.
   */
  public SessionTableBuilder executor(Executor executor) {
    this.executor = executor;
    return this;
  }

  /**
   * How a takeover reaches a session held by another node; default: none can exist (standalone).
   */
  public SessionTableBuilder remoteTakeover(RemoteTakeover remoteTakeover) {
    this.remoteTakeover = Objects.requireNonNull(remoteTakeover, "remoteTakeover");
    return this;
  }

  /**
   * Up to when the transports have certainly read their sockets ({@link EventLoopWatch}); the wheel
   * is never told a later time, so a stall of the broker's own event loops cannot evict devices
   * whose heartbeats wait unread. Default: the clock alone.
   */
  public SessionTableBuilder readingUntil(LongSupplier readingUntil) {
    this.readingUntil = Objects.requireNonNull(readingUntil, "readingUntil");
    return this;
  }

  /**
   * The fence the cluster's quorum watch raises while this node is cut off; default: one nobody
   * raises.
   */
  public SessionTableBuilder fence(Fence fence) {
    this.fence = Objects.requireNonNull(fence, "fence");
    return this;
  }

  /**
   * Flapping detection: which devices end their sessions too often, and are refused a while;
   * default: off.
   */
  public SessionTableBuilder flapping(Flapping flapping) {
    this.flapping = Objects.requireNonNull(flapping, "flapping");
    return this;
  }

  /** The settings of commands to devices; default: {@link CommandOptions#defaults()}. */
  public SessionTableBuilder commands(CommandOptions commands) {
    this.commands = Objects.requireNonNull(commands, "commands");
    return this;
  }

  /**
   * The cluster's event log, where the closes a node withheld through a split brain are looked up
   * before they are announced ({@link CutOffSessions}); default: none (standalone, where nothing is
   * withheld).
   */
  public SessionTableBuilder eventLog(EventLog eventLog) {
    this.eventLog = Objects.requireNonNull(eventLog, "eventLog");
    return this;
  }

  public SessionTable build() {
    return new SessionTable(this);
  }
}

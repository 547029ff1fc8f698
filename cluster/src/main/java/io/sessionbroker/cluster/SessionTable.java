package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's session table: every live session of this node, whatever its transport, with its
 * deadline.
 *
 * <p>Transports call {@link #open}, {@link #touch} and {@link #close}; nothing else changes a
 * session. {@code touch} runs on the caller's thread and only stores a timestamp. Everything else
 * runs on the table's own thread (the {@code executor}): the maps, the wheel and the state of each
 * session are confined to it, so no lock is needed and the events of one session are published in
 * order — opened, then exactly one closed.
 *
 * <p>At most one live session per device: {@link DeviceDirectory#claim} names the newest session
 * the holder and returns the previous one, which is closed with {@link CloseReason#TAKEN_OVER}
 * before the new session's opened event. A session that is asked to close while its claim is still
 * in flight opens and then closes at once, so its events still come in order.
 *
 * <p>A table is built once with every collaborator ({@link #builder}): standalone it needs only its
 * events and its thread; the clustered broker adds the cluster directory, the cross-node takeover
 * and the {@link Fence} its quorum watch raises. Nothing is attached after construction.
 */
public final class SessionTable {

  private static final Logger log = LoggerFactory.getLogger(SessionTable.class);
  private static final int WHEEL_SLOTS = 4096;

  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final SessionEvents events;
  private final String nodeId;
  private final Executor executor;
  private final TimingWheel wheel;

  /**
   * Open sessions by device id. Compact indexes, not HashMaps: see {@link CompactIndex} for why.
   */
  private final CompactIndex<String, Session> byDevice = new CompactIndex<>(Session::deviceId);

  /**
   * Open and pending sessions by session id (a pending session may be taken over before it opens).
   */
  private final CompactIndex<Long, Session> byId = new CompactIndex<>(Session::id);

  private final LongSupplier readingUntil;
  private final Fence fence;
  private final Flapping flapping;

  private final CommandOptions commandOptions;

  /** Commands written to this node's devices and not yet answered; on the table's thread. */
  private final PendingCommands commands;

  /** Closes made while this node was cut off ({@link Fence#cutOff}), not yet announced. */
  private final CutOffSessions cutOff;

  private final TableAdmin admin;

  /** Tells the connections of ended sessions; a tick's batch at once, once it is through. */
  private final ConnectionEnds connectionEnds = new ConnectionEnds();

  /** How a hello becomes an open session: the claim, the takeover, the opened event. */
  private final SessionOpenings openings;

  SessionTable(SessionTableBuilder builder) {
    this.options = builder.options;
    this.clock = builder.clock;
    this.directory = builder.directory;
    this.events = Objects.requireNonNull(builder.events, "events");
    this.nodeId = builder.nodeId;
    this.executor = Objects.requireNonNull(builder.executor, "executor");
    this.readingUntil = builder.readingUntil;
    this.fence = builder.fence;
    this.flapping = builder.flapping;
    this.commandOptions = builder.commands;
    this.commands = new PendingCommands(commandOptions.maxInFlightPerDevice());
    this.wheel = new TimingWheel(options.tickMs(), WHEEL_SLOTS, clock.millis());
    this.cutOff = new CutOffSessions(this, directory, events, executor, builder.eventLog);
    this.admin = new TableAdmin(this, directory);
    this.openings = new SessionOpenings(this, builder, byId, byDevice, wheel);
  }

  /**
   * Starts building a table; {@link SessionTableBuilder#events} and {@link
   * SessionTableBuilder#executor} are required, the rest have standalone defaults. Every
   * collaborator is given here, before the table exists: nothing is attached later.
   */
  public static SessionTableBuilder builder(TableOptions options, Clock clock, String nodeId) {
    return new SessionTableBuilder(options, clock, nodeId);
  }

  public TableOptions options() {
    return options;
  }

  /** The settings of commands to devices. */
  public CommandOptions commandOptions() {
    return commandOptions;
  }

  public String nodeId() {
    return nodeId;
  }

  public Clock clock() {
    return clock;
  }

  /**
   * This node's {@link Fence}: while raised the table refuses new sessions; while the node is cut
   * off from its quorum it also withholds its closes ({@link CutOffSessions}); see docs/cluster.md,
   * split brain.
   */
  public Fence fence() {
    return fence;
  }

  /** This node's flapping detection: its bans, for the admin API. */
  public Flapping flapping() {
    return flapping;
  }

  /** The admin operations on this table: get, list, count, kick, commands. */
  public TableAdmin admin() {
    return admin;
  }

  /**
   * What this node does with its sessions while cut off from its quorum and once it is back: ends
   * them, withholds their closes, settles those.
   */
  public CutOffSessions cutOff() {
    return cutOff;
  }

  /**
   * Opens a session for a device that said hello. The future completes, on the table's thread, once
   * the session is the device's holder and its opened event is out; the transport then sends its
   * welcome. If the connection dropped meanwhile, the transport closes the session it gets.
   */
  public Future<Session> open(OpenRequest request) {
    return openings.open(request);
  }

  /** Proof of life from any thread: stores the time, nothing else. */
  public void touch(Session session) {
    session.touch(clock.millis());
  }

  /**
   * Proof of life carrying a status payload, which the table keeps and shows in get, list and
   * close.
   */
  public void touch(Session session, JsonObject status) {
    session.status(status);
    session.touch(clock.millis());
  }

  /** Device traffic to announce on {@code devices.inbound}; ignored once the session has closed. */
  public void inbound(Session session, String topic, Object payload) {
    if (session.state() != Session.State.CLOSED) {
      events.inbound(session, topic, payload, clock.millis());
    }
  }

  /**
   * A connection that never became a session. A cut-off node publishes no rejection, as it
   * publishes no close: its copy of the event log is its own, and the event would take a {@code
   * seq} the majority also gives out (the device is answered by its transport all the same).
   */
  public void reject(Rejection rejection) {
    if (!fence.isCutOff()) {
      events.rejected(rejection, clock.millis());
    }
  }

  /** Ends a session; the first reason wins, later calls do nothing. Safe from any thread. */
  public void close(Session session, CloseReason reason) {
    // A socket closing after the broker ended its session (the common case in a mass eviction) need
    // not queue
    // a task that would find the session closed: a thousand of them delayed the next eviction
    // batch.
    if (session.state() != Session.State.CLOSED) {
      executor.execute(() -> finish(session, reason));
    }
  }

  /**
   * Ends the session with this id if this node holds it (open, or still claiming: then it opens and
   * closes at once). Used when another node takes the device over.
   */
  public void close(long sessionId, CloseReason reason) {
    executor.execute(
        () -> {
          Session session = byId.get(sessionId);
          if (session != null) {
            finish(session, reason);
          }
        });
  }

  /** The single close funnel: the only place that ends a session. Runs on the table's thread. */
  Future<Boolean> finish(Session session, CloseReason reason) {
    return finish(session, reason, fence.isCutOff());
  }

  /**
   * Ends the session; announces its close at once, or, when {@code withhold}, keeps it for {@link
   * CutOffSessions#settleWithheld(boolean)}, which announces it only if nobody else has.
   */
  Future<Boolean> finish(Session session, CloseReason reason, boolean withhold) {
    if (session.state() == Session.State.CLOSED) {
      return Future.succeededFuture(false);
    }
    if (session.state() == Session.State.PENDING) {
      if (session.closeWhenOpen() == null) {
        session.closeWhenOpen(reason);
      }
      return Future.succeededFuture(false);
    }
    session.state(Session.State.CLOSED);
    wheel.remove(session);
    byId.remove(session);
    byDevice.remove(session);
    // Counted before the close is announced: whoever sees the close and reconnects at once must
    // find the ban in force (an open checks it on the transport's thread, not on this one).
    if (Flapping.counts(reason)) {
      long bannedUntil = flapping.disconnected(session.deviceId(), clock.millis());
      if (bannedUntil > 0) {
        log.warn(
            "device_banned device={} reason=flapping until={}", session.deviceId(), bannedUntil);
      }
    }
    Future<Boolean> released;
    if (withhold) {
      // Cut off, neither this node's copy of the directory nor its event log is the cluster's: the
      // close waits for a quorum, and is announced then only if nobody else has (settleWithheld).
      cutOff.withhold(session, reason, clock.millis());
      released = Future.succeededFuture(false);
    } else {
      released =
          directory
              .release(session.deviceId(), session.id())
              .onFailure(e -> log.warn("session_release_failed device={}", session.deviceId(), e));
      events.closed(session, reason, clock.millis());
    }
    commands.closed(session, reason);
    connectionEnds.ended(session, reason);
    return released;
  }

  /**
   * One eviction tick: expires sessions whose deadline has passed, at most a batch of them. A mass
   * expiry (issue 17) in three steps: the table ends the whole batch, each session's close event
   * handed in; then their connections are told, in order ({@link ConnectionEnds}: each event loop
   * gets its share at once, rather than waking at the first close and taking the cores from the
   * table); then the batch's close events go out in one append ({@link SessionEvents#batch}).
   */
  public void tick() {
    long now = Math.min(clock.millis(), readingUntil.getAsLong());
    events.batch(
        () ->
            connectionEnds.holding(
                () ->
                    wheel.advance(
                        now,
                        options.maxEvictionsPerTick(),
                        session -> finish(session, CloseReason.TIMEOUT))));
    commands.advance(clock.millis());
  }

  /**
   * The device answered command {@code id}: proof of life, and the command's reply. From any
   * thread; a reply to no waiting command of this session (late, repeated, or another device's) is
   * ignored.
   */
  public void reply(Session session, String id, CommandReply reply) {
    session.touch(clock.millis());
    executor.execute(() -> commands.reply(session, id, reply));
  }

  /**
   * Closes every session with {@link CloseReason#SHUTDOWN}; completes once their close events are
   * handed to the event bus and the directory has released them (so a clustered node leaves no
   * entry behind).
   *
   * <p>Each SHUTDOWN is announced only if the directory still names that session when this node
   * marks its entry closing, as for closes withheld while cut off: a node that woke from a freeze
   * and rejoined may still hold sessions the majority announced {@code NODE_LOST} while it was
   * gone, until its merge settles them; a SIGTERM in that window published a second close for each
   * (the long chaos run: 1,034 sessions closed NODE_LOST then SHUTDOWN). The mark is atomic per
   * entry, as the majority's release is, so exactly one of the two announces; the entry is released
   * once the close is in the event log, so a stop that dies half-way loses none ({@link
   * CutOffSessions#settleWithheld}).
   */
  public Future<Integer> shutdown() {
    return onTable(
            () -> {
              List<Session> open = byDevice.toList();
              for (Session session : open) {
                finish(session, CloseReason.SHUTDOWN, true);
              }
              if (fence.isCutOff()) {
                // Cut off: the majority announced these sessions NODE_LOST when it lost this node,
                // or, if there was no majority, announces them once it has a quorum again (it
                // releases the entries of nodes that are not members); this node's copy of the
                // directory cannot tell, so nothing is announced from here.
                if (cutOff.size() > 0) {
                  log.warn(
                      "closes_withheld_at_shutdown count={}: this node is cut off from its quorum",
                      cutOff.size());
                } else { // nothing withheld: a node stopping while cut off, not a warning
                  log.info("closes_withheld_at_shutdown count=0: this node is cut off");
                }
                return Future.succeededFuture(open.size());
              }
              return cutOff
                  .settleWithheld(false)
                  .transform(done -> Future.succeededFuture(open.size()));
            })
        .compose(closed -> closed);
  }

  /** The sessions open on this node, as a snapshot. */
  public Future<List<Session>> sessions() {
    return onTable(byDevice::toList);
  }

  /** The session with this id, open or pending; null if none. On the table's thread. */
  Session byId(long sessionId) {
    return byId.get(sessionId);
  }

  /** The open sessions by device. On the table's thread. */
  CompactIndex<String, Session> byDevice() {
    return byDevice;
  }

  /** The commands waiting for their replies on this node. On the table's thread. */
  PendingCommands commands() {
    return commands;
  }

  /** The open session with this session id or device id; null if none. On the table's thread. */
  Session find(String sessionOrDeviceId) {
    Session bySession = byId.get(SessionIds.parse(sessionOrDeviceId));
    if (bySession != null && bySession.state() == Session.State.OPEN) {
      return bySession;
    }
    return byDevice.get(sessionOrDeviceId);
  }

  /** Runs {@code work} on the table's thread. */
  <T> Future<T> onTable(Supplier<T> work) {
    Promise<T> promise = Promise.promise();
    executor.execute(
        () -> {
          try {
            promise.complete(work.get());
          } catch (RuntimeException e) {
            promise.fail(e);
          }
        });
    return promise.future();
  }
}

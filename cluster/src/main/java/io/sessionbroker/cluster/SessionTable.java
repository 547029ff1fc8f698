package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's session table: every live session of this node, whatever its transport, with its deadline.
 *
 * <p>Transports call {@link #open}, {@link #touch} and {@link #close}; nothing else changes a session.
 * {@code touch} runs on the caller's thread and only stores a timestamp. Everything else runs on the table's
 * own thread (the {@code executor}): the maps, the wheel and the state of each session are confined to it, so
 * no lock is needed and the events of one session are published in order — opened, then exactly one closed.
 *
 * <p>At most one live session per device: {@link DeviceDirectory#claim} names the newest session the holder
 * and returns the previous one, which is closed with {@link CloseReason#TAKEN_OVER} before the new session's
 * opened event. A session that is asked to close while its claim is still in flight opens and then closes at
 * once, so its events still come in order.
 */
public final class SessionTable {

  private static final Logger log = LoggerFactory.getLogger(SessionTable.class);
  private static final int WHEEL_SLOTS = 4096;
  private static final int MAX_INTERNED_LIVENESS = 1024;

  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final SessionEvents events;
  private final String nodeId;
  private final Executor executor;
  private final SessionIds ids = new SessionIds();
  private final TimingWheel wheel;
  /** Open sessions by device id. Compact indexes, not HashMaps: see {@link CompactIndex} for why. */
  private final CompactIndex<String, Session> byDevice = new CompactIndex<>(Session::deviceId);
  /** Open and pending sessions by session id (a pending session may be taken over before it opens). */
  private final CompactIndex<Long, Session> byId = new CompactIndex<>(Session::id);
  private final Map<Liveness, Liveness> interned = new HashMap<>();
  private volatile RemoteTakeover remoteTakeover = RemoteTakeover.NONE;

  /**
   * @param executor runs a task on the table's thread, in submission order; a direct executor in unit tests
   */
  public SessionTable(
      TableOptions options,
      Clock clock,
      DeviceDirectory directory,
      SessionEvents events,
      String nodeId,
      Executor executor) {
    this.options = options;
    this.clock = clock;
    this.directory = directory;
    this.events = events;
    this.nodeId = nodeId;
    this.executor = executor;
    this.wheel = new TimingWheel(options.tickMs(), WHEEL_SLOTS, clock.millis());
  }

  public TableOptions options() {
    return options;
  }

  public String nodeId() {
    return nodeId;
  }

  public Clock clock() {
    return clock;
  }

  /** How a takeover reaches a session held by another node; set by the clustered broker. */
  public void remoteTakeover(RemoteTakeover remoteTakeover) {
    this.remoteTakeover = remoteTakeover;
  }

  /**
   * Opens a session for a device that said hello. The future completes, on the table's thread, once the
   * session is the device's holder and its opened event is out; the transport then sends its welcome.
   * If the connection dropped meanwhile, the transport closes the session it gets.
   */
  public Future<Session> open(OpenRequest request) {
    Promise<Session> promise = Promise.promise();
    executor.execute(() -> {
      Session session = new Session(ids.next(), request, liveness(request.heartbeatMs()), clock.millis());
      byId.put(session);
      directory
          .claim(session.deviceId(), session.id(), nodeId)
          .onComplete(claim -> executor.execute(() -> {
            if (claim.succeeded()) {
              opened(session, claim.result(), promise);
            } else {
              byId.remove(session);
              log.error("session_claim_failed device={}", session.deviceId(), claim.cause());
              promise.fail(claim.cause());
            }
          }));
    });
    return promise.future();
  }

  /**
   * The negotiated terms, shared with every other session that got the same: a session keeps one reference
   * instead of two ints. Devices use a handful of heartbeats; past {@link #MAX_INTERNED_LIVENESS} distinct
   * terms, new ones are simply not shared.
   */
  private Liveness liveness(long requestedHeartbeatMs) {
    Liveness liveness = options.negotiate(requestedHeartbeatMs);
    Liveness shared = interned.get(liveness);
    if (shared != null) {
      return shared;
    }
    if (interned.size() < MAX_INTERNED_LIVENESS) {
      interned.put(liveness, liveness);
    }
    return liveness;
  }

  private void opened(Session session, DeviceDirectory.Claim claim, Promise<Session> promise) {
    session.epoch(claim.epoch());
    if (claim.previous() != null) {
      takeOver(claim.previous(), session.deviceId());
    }
    session.state(Session.State.OPEN);
    byDevice.put(session);
    wheel.add(session);
    events.opened(session, clock.millis());
    log.debug("session_opened device={} session={} transport={} epoch={}",
        session.deviceId(), session.sessionId(), session.transport(), session.epoch());
    promise.complete(session);
    if (session.closeWhenOpen() != null) {
      finish(session, session.closeWhenOpen());
    }
  }

  private void takeOver(DeviceDirectory.Holder previous, String deviceId) {
    if (!previous.nodeId().equals(nodeId)) {
      remoteTakeover.takeOver(previous, deviceId);
      return;
    }
    Session old = byId.get(previous.sessionId());
    if (old != null) {
      finish(old, CloseReason.TAKEN_OVER);
    }
  }

  /** Proof of life from any thread: stores the time, nothing else. */
  public void touch(Session session) {
    session.touch(clock.millis());
  }

  /** Proof of life carrying a status payload, which the table keeps and shows in get, list and close. */
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

  /** A connection that never became a session. */
  public void reject(Rejection rejection) {
    events.rejected(rejection, clock.millis());
  }

  /** Ends a session; the first reason wins, later calls do nothing. Safe from any thread. */
  public void close(Session session, CloseReason reason) {
    executor.execute(() -> finish(session, reason));
  }

  /** The single close funnel: the only place that ends a session. Runs on the table's thread. */
  private void finish(Session session, CloseReason reason) {
    if (session.state() == Session.State.CLOSED) {
      return;
    }
    if (session.state() == Session.State.PENDING) {
      if (session.closeWhenOpen() == null) {
        session.closeWhenOpen(reason);
      }
      return;
    }
    session.state(Session.State.CLOSED);
    byId.remove(session);
    byDevice.remove(session);
    directory.release(session.deviceId(), session.id())
        .onFailure(e -> log.warn("session_release_failed device={}", session.deviceId(), e));
    events.closed(session, reason, clock.millis());
    log.debug("session_closed device={} session={} reason={}", session.deviceId(), session.sessionId(), reason);
    try {
      session.connection().closed(session, reason);
    } catch (RuntimeException e) {
      log.warn("connection_close_failed session={}", session.sessionId(), e);
    }
  }

  /** One eviction tick: expires sessions whose deadline has passed, at most a batch of them. */
  public void tick() {
    wheel.advance(clock.millis(), options.maxEvictionsPerTick(), session -> finish(session, CloseReason.TIMEOUT));
  }

  /** Closes a session by session id or device id with {@link CloseReason#KICKED}; true if one was open. */
  public Future<Boolean> kick(String sessionOrDeviceId) {
    return onTable(() -> {
      Session session = find(sessionOrDeviceId);
      if (session == null) {
        return false;
      }
      finish(session, CloseReason.KICKED);
      return true;
    });
  }

  /** The session, by session id or device id, as JSON; null if none is open here. */
  public Future<JsonObject> get(String sessionOrDeviceId) {
    return onTable(() -> {
      Session session = find(sessionOrDeviceId);
      return session == null ? null : SessionJson.describe(session, nodeId);
    });
  }

  /**
   * A page of open sessions, oldest first, optionally of one transport only.
   *
   * @return {@code {"total": n, "offset": o, "sessions": [...]}}
   */
  public Future<JsonObject> list(String transport, int offset, int limit) {
    return onTable(() -> {
      List<Session> matching = new ArrayList<>();
      for (Session session : byDevice) {
        if (transport == null || transport.equals(session.transport())) {
          matching.add(session);
        }
      }
      matching.sort(Comparator.comparingLong(Session::connectedAt).thenComparingLong(Session::id));
      JsonArray page = new JsonArray();
      for (int i = Math.max(0, offset); i < matching.size() && page.size() < limit; i++) {
        page.add(SessionJson.describe(matching.get(i), nodeId));
      }
      return new JsonObject().put("total", matching.size()).put("offset", offset).put("sessions", page);
    });
  }

  /** {@code {"total": n, "byTransport": {"tcp": n, ...}}}. */
  public Future<JsonObject> count() {
    return onTable(() -> {
      Map<String, Integer> byTransport = new TreeMap<>();
      for (Session session : byDevice) {
        byTransport.merge(session.transport(), 1, Integer::sum);
      }
      JsonObject counts = new JsonObject();
      byTransport.forEach(counts::put);
      return new JsonObject().put("total", byDevice.size()).put("byTransport", counts);
    });
  }

  /** Closes every session with {@link CloseReason#SHUTDOWN}; completes once all close events are out. */
  public Future<Integer> shutdown() {
    return closeAll(CloseReason.SHUTDOWN);
  }

  private Future<Integer> closeAll(CloseReason reason) {
    return onTable(() -> {
      List<Session> all = byDevice.toList();
      all.forEach(session -> finish(session, reason));
      return all.size();
    });
  }

  private Session find(String sessionOrDeviceId) {
    Session bySession = byId.get(SessionIds.parse(sessionOrDeviceId));
    if (bySession != null && bySession.state() == Session.State.OPEN) {
      return bySession;
    }
    return byDevice.get(sessionOrDeviceId);
  }

  private <T> Future<T> onTable(java.util.function.Supplier<T> work) {
    Promise<T> promise = Promise.promise();
    executor.execute(() -> {
      try {
        promise.complete(work.get());
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }
}

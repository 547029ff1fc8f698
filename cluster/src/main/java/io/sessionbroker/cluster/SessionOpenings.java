package io.sessionbroker.cluster;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link SessionTable} opens a session: the fence and flapping checks, the directory's claim,
 * the takeover of the device's previous session, then the opened event — in that order, so a
 * device's previous session is closed before its new one is announced. Part of the table: it runs
 * on the table's thread ({@code executor}) and works on the table's own indexes and wheel.
 */
final class SessionOpenings {

  private static final Logger log = LoggerFactory.getLogger(SessionOpenings.class);
  private static final int MAX_INTERNED_LIVENESS = 1024;

  private final SessionTable table;
  private final TableOptions options;
  private final Clock clock;
  private final DeviceDirectory directory;
  private final SessionEvents events;
  private final String nodeId;
  private final Executor executor;
  private final RemoteTakeover remoteTakeover;
  private final Fence fence;
  private final Flapping flapping;
  private final CompactIndex<Long, Session> byId;
  private final CompactIndex<String, Session> byDevice;
  private final TimingWheel wheel;
  private final SessionIds ids = new SessionIds();
  private final Map<Liveness, Liveness> interned = new HashMap<>();

  SessionOpenings(
      SessionTable table,
      SessionTableBuilder builder,
      CompactIndex<Long, Session> byId,
      CompactIndex<String, Session> byDevice,
      TimingWheel wheel) {
    this.table = table;
    this.options = builder.options;
    this.clock = builder.clock;
    this.directory = builder.directory;
    this.events = builder.events;
    this.nodeId = builder.nodeId;
    this.executor = builder.executor;
    this.remoteTakeover = builder.remoteTakeover;
    this.fence = builder.fence;
    this.flapping = builder.flapping;
    this.byId = byId;
    this.byDevice = byDevice;
    this.wheel = wheel;
  }

  /**
   * Opens a session for a device that said hello. The future completes, on the table's thread, once
   * the session is the device's holder and its opened event is out; the transport then sends its
   * welcome. If the connection dropped meanwhile, the transport closes the session it gets.
   */
  Future<Session> open(OpenRequest request) {
    if (fence.isRaised()) {
      return Future.failedFuture(
          new IllegalStateException(
              "this node takes no sessions now (cut off from its cluster, or stopping): connect to another node"));
    }
    long bannedUntil = flapping.bannedUntil(request.deviceId(), clock.millis());
    if (bannedUntil > 0) {
      return Future.failedFuture(new DeviceBanned(request.deviceId(), bannedUntil));
    }
    Promise<Session> promise = Promise.promise();
    executor.execute(
        () -> {
          Session session =
              new Session(ids.next(), request, liveness(request.heartbeatMs()), clock.millis());
          byId.put(session);
          Future<DeviceDirectory.Claim> claim = directory.claim(session, nodeId);
          if (claim.isComplete()) {
            // The standalone directory answers at once, on this thread: a second hop to it would
            // cost every connect a task on the table's thread for nothing (issue 17).
            claimed(session, claim, promise);
          } else {
            claim.onComplete(done -> executor.execute(() -> claimed(session, done, promise)));
          }
        });
    return promise.future();
  }

  /** On the table's thread: the directory has answered the claim of a pending session. */
  private void claimed(
      Session session, AsyncResult<DeviceDirectory.Claim> claim, Promise<Session> promise) {
    if (claim.succeeded()) {
      opened(session, claim.result(), promise);
    } else {
      byId.remove(session);
      log.error("session_claim_failed device={}", session.deviceId(), claim.cause());
      promise.fail(claim.cause());
    }
  }

  /**
   * The negotiated terms, shared with every other session that got the same: a session keeps one
   * reference instead of two ints. Devices use a handful of heartbeats; past {@link
   * #MAX_INTERNED_LIVENESS} distinct terms, new ones are simply not shared.
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
    if (session.closeWhenOpen() == null) {
      // Else a newer session took the device over while this claim's answer was on its way, and
      // already holds the device here: it must stay the one that get, list, count and shutdown see.
      byDevice.put(session);
    }
    wheel.add(session);
    events.opened(session, clock.millis());
    if (log.isDebugEnabled()) { // sessionId() formats a string: not on every open when debug is off
      log.debug(
          "session_opened device={} session={} transport={} epoch={}",
          session.deviceId(),
          session.sessionId(),
          session.transport(),
          session.epoch());
    }
    promise.complete(session);
    if (session.closeWhenOpen() != null) {
      table.finish(session, session.closeWhenOpen());
    }
  }

  private void takeOver(DeviceDirectory.Holder previous, String deviceId) {
    if (!previous.nodeId().equals(nodeId)) {
      remoteTakeover.takeOver(previous, deviceId);
      return;
    }
    Session old = byId.get(previous.sessionId());
    if (old != null) {
      table.finish(old, CloseReason.TAKEN_OVER);
    }
  }
}

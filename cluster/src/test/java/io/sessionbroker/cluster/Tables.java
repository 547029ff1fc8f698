package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A session table on a fake clock and a direct executor ({@code Runnable::run}), so every call
 * completes before it returns and tests drive time and ticks themselves.
 */
final class Tables {

  static final int TICK_MS = 10;

  /**
   * Lets tests ask for heartbeats down to 100 ms and run with a small eviction batch when they want
   * one.
   */
  static final TableOptions OPTIONS =
      TableOptions.builder()
          .tickMs(TICK_MS)
          .maxEvictionsPerTick(250)
          .minHeartbeatMs(100)
          .minTimeoutMs(100)
          .build();

  final FakeClock clock = new FakeClock();
  final RecordingEvents events = new RecordingEvents();
  final List<CloseReason> connectionCloses = new ArrayList<>();

  /** The cluster's event log as the table sees it; tests append what other nodes announced. */
  final LocalEventLog log = new LocalEventLog(10_000);

  final SessionTable table;

  /**
   * What the table is told it has been reading until ({@link EventLoopWatch}); no stall unless a
   * test sets it.
   */
  volatile long readingUntil = Long.MAX_VALUE;

  /** How the table reaches a session another node holds; none unless a test sets it. */
  volatile RemoteTakeover remoteTakeover = RemoteTakeover.NONE;

  Tables() {
    this(OPTIONS, new LocalDirectory());
  }

  Tables(TableOptions options, DeviceDirectory directory) {
    table =
        SessionTable.builder(options, clock, "node-a")
            .directory(directory)
            .events(events)
            .executor(Runnable::run)
            .readingUntil(() -> readingUntil)
            .remoteTakeover((holder, deviceId) -> remoteTakeover.takeOver(holder, deviceId))
            .eventLog(log)
            .build();
  }

  /** Appends the close of {@code session} to the event log, as another node announcing it does. */
  void logClose(Session session, CloseReason reason, String byNode) {
    log.append(
        List.of(
            new JsonObject()
                .put("address", Addresses.CLOSED)
                .put("body", CloseEvent.of(session, byNode, reason, clock.millis()).toJson())));
  }

  Session open(String deviceId, long heartbeatMs) {
    return open(deviceId, "udp", heartbeatMs);
  }

  Session open(String deviceId, String transport, long heartbeatMs) {
    return table.open(request(deviceId, transport, heartbeatMs)).result();
  }

  /** A hello whose connection records the reasons the table closes it with. */
  OpenRequest request(String deviceId, String transport, long heartbeatMs) {
    return new OpenRequest(
        deviceId,
        transport,
        "127.0.0.1:5000",
        heartbeatMs,
        null,
        (session, reason) -> connectionCloses.add(reason));
  }

  /** Advances the clock one tick at a time, ticking the table, for {@code millis}. */
  void run(long millis) {
    for (long left = millis; left > 0; left -= TICK_MS) {
      clock.advance(Math.min(TICK_MS, left));
      table.tick();
    }
  }

  /**
   * Ticks until {@code session} is closed, at most {@code limitMs}; returns the time of its close
   * event.
   */
  long runUntilClosed(Session session, long limitMs) {
    for (long spent = 0; spent <= limitMs; spent += TICK_MS) {
      if (!session.isOpen()) {
        return events.of(session).get(events.of(session).size() - 1).at();
      }
      clock.advance(TICK_MS);
      table.tick();
    }
    throw new AssertionError(session + " still open after " + limitMs + " ms");
  }
}

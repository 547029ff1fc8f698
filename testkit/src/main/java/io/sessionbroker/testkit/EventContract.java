package io.sessionbroker.testkit;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The broker's promise about its event stream, checked on everything a test's broker publishes:
 * every fixture that runs a session table (in this JVM or in another process) feeds this check each
 * {@code sessions.*} event it sees, in arrival order, and the {@link ContractExtension} fails the
 * test that broke it.
 *
 * <p>The rules (docs/testing.md lists them with the tests that exercise each):
 *
 * <ul>
 *   <li>a session is opened once, and closed exactly once, after its open — no close without an
 *       open, no second close, no open after the close;
 *   <li>each close has a reason the test expected ({@link ExpectCloses}), or, once the test body
 *       has ended, one of {@link #TEARDOWN_REASONS};
 *   <li>a {@code TIMEOUT} close is never before {@code lastSeenAt + timeoutMs} and at most one tick
 *       plus {@link #TIMEOUT_SLACK_MS} after it, in the broker's own clock;
 *   <li>the {@code seq} of the events one node publishes only grows (the publisher of a {@code
 *       NODE_LOST} close is its {@code announcedBy});
 *   <li>a device id belongs to the test that first used it: another test opening it would let one
 *       test pass on another's event;
 *   <li>when the fixture has shut its broker down, every opened session has been closed.
 * </ul>
 *
 * <p>Thread-safe: events come from the fixture's recording thread, checks from the test's.
 */
public final class EventContract {

  /**
   * How late a {@code TIMEOUT} may be beyond one tick, in the broker's own clock. Eviction is at
   * most one tick late by design; this covers a loaded 2-core CI machine (a GC pause, the table's
   * thread waiting for a core). Precision itself is measured in {@code bench/}, not here; a tick
   * several times slower than configured is caught by {@code EvictionTickIT}, which looks at many
   * evictions at once.
   */
  public static final long TIMEOUT_SLACK_MS = 250;

  /** Reasons a test's teardown may cause: it closes its devices, and its broker shuts down. */
  public static final Set<CloseReason> TEARDOWN_REASONS =
      EnumSet.of(CloseReason.SHUTDOWN, CloseReason.CLIENT_CLOSED, CloseReason.CONNECTION_LOST);

  /** Waits until every event the broker published before the call has been recorded. */
  @FunctionalInterface
  public interface Settler {
    void settle() throws Exception;
  }

  private final String name;
  private final long tickMs;
  private final Settler settler;
  private final Map<String, SessionLife> sessions = new HashMap<>();
  private final Map<String, ContractExtension.Scope> deviceOwners = new HashMap<>();
  private final Map<String, Long> lastSeqByNode = new HashMap<>();
  private final List<Violation> violations = new ArrayList<>();
  private final List<JsonObject> closes = new ArrayList<>();
  private boolean finished;
  private boolean shuttingDown;

  private static final List<EventContract> ACTIVE = new CopyOnWriteArrayList<>();

  /**
   * @param name what is watched, for messages (e.g. "table fixture", "node A's bridge")
   * @param tickMs the broker's {@code table.tickMs}
   * @param settler waits until every event published so far has been recorded (a round trip behind
   *     them)
   */
  public EventContract(String name, long tickMs, Settler settler) {
    this.name = name;
    this.tickMs = tickMs;
    this.settler = settler;
    ACTIVE.add(this);
  }

  /** One event as the broker published it; other addresses than {@code sessions.*} are ignored. */
  public void record(String address, JsonObject body) {
    record(address, body, ContractExtension.current());
  }

  /**
   * As {@link #record(String, JsonObject)}, seen while {@code scope} runs (null: between tests).
   */
  synchronized void record(String address, JsonObject body, ContractExtension.Scope scope) {
    checkSeq(address, body);
    switch (address) {
      case Addresses.OPENED -> opened(body, scope);
      case Addresses.CLOSED -> closed(body, scope);
      default -> {}
    }
  }

  private void checkSeq(String address, JsonObject body) {
    Long seq = body.getLong("seq");
    // The publisher numbers its events: a NODE_LOST close names the lost node but is published (and
    // numbered)
    // by the survivor in announcedBy, whose batches interleave with the other survivors'.
    String node = body.getString(CloseEvent.ANNOUNCED_BY, body.getString("node"));
    if (seq == null) {
      // docs/events.md: every opened, closed and rejected event is numbered; only a failing event
      // log publishes
      // one without, and no test's log may fail
      if (!address.equals(Addresses.INBOUND)) {
        violate(null, "no seq on " + address + " " + body.encode());
      }
      return;
    }
    if (node == null) {
      return;
    }
    Long last = lastSeqByNode.put(node, seq);
    if (last != null && seq <= last) {
      violate(
          null,
          "seq went backwards on node "
              + node
              + ": "
              + seq
              + " after "
              + last
              + " ("
              + address
              + " "
              + body.encode()
              + ")");
    }
  }

  private void opened(JsonObject body, ContractExtension.Scope scope) {
    String sessionId = body.getString("sessionId");
    String deviceId = body.getString("deviceId");
    SessionLife life = sessions.computeIfAbsent(sessionId, id -> new SessionLife());
    ContractExtension.Scope owner = deviceOwners.computeIfAbsent(deviceId, d -> scope);
    if (owner != null && scope != null && owner != scope) {
      violate(
          scope,
          "device "
              + deviceId
              + " is used by "
              + scope.name()
              + " and by "
              + owner.name()
              + ": give each test its own device ids, so that no test can pass on another's event");
    }
    if (life.closes > 0) {
      violate(scope, "session " + sessionId + " (" + deviceId + ") opened after its close");
    } else if (life.opened) {
      violate(scope, "session " + sessionId + " (" + deviceId + ") opened twice");
    }
    life.opened = true;
    life.owner = owner;
  }

  private void closed(JsonObject body, ContractExtension.Scope scope) {
    closes.add(body);
    String sessionId = body.getString("sessionId");
    String deviceId = body.getString("deviceId");
    SessionLife life = sessions.computeIfAbsent(sessionId, id -> new SessionLife());
    ContractExtension.Scope owner = life.owner != null ? life.owner : deviceOwners.get(deviceId);
    ContractExtension.Scope blamed = owner != null ? owner : scope;
    life.closes++;
    String what = "session " + sessionId + " (" + deviceId + ") ";
    if (life.closes > 1) {
      violate(blamed, what + "closed " + life.closes + " times; this close: " + body.encode());
      return;
    }
    if (!life.opened) {
      violate(blamed, what + "closed without an open: " + body.encode());
    }
    CloseReason reason = CloseReason.valueOf(body.getString(CloseEvent.REASON));
    // A body's last statement is often the close of its devices (try-with-resources); the broker
    // can announce
    // that CLIENT_CLOSED or CONNECTION_LOST before the extension marks the body done, so the
    // devices' own
    // ends count as teardown whenever they come. Closes the broker decides on are judged strictly.
    boolean teardown =
        scope == null
            || scope.bodyDone()
            || reason == CloseReason.CLIENT_CLOSED
            || reason == CloseReason.CONNECTION_LOST;
    boolean expected =
        (owner != null && owner.expects(reason))
            || (scope != null && scope.expects(reason))
            || (teardown && TEARDOWN_REASONS.contains(reason))
            || (shuttingDown && reason == CloseReason.SHUTDOWN);
    if (!expected) {
      violate(
          blamed,
          what
              + "closed with "
              + reason
              + ", a reason "
              + (owner == null ? "no test" : owner.name())
              + " does not expect (see @ExpectCloses): "
              + body.encode());
    }
    if (reason == CloseReason.TIMEOUT) {
      checkTimeout(body, blamed, what);
    }
  }

  private void checkTimeout(JsonObject body, ContractExtension.Scope blamed, String what) {
    long deadline = body.getLong("lastSeenAt") + body.getLong("timeoutMs");
    long lateness = body.getLong("at") - deadline;
    long allowed = tickMs + TIMEOUT_SLACK_MS + (blamed == null ? 0 : blamed.extraLatenessMs());
    if (lateness < 0) {
      violate(
          blamed, what + "timed out " + -lateness + " ms before its deadline: " + body.encode());
    } else if (lateness > allowed) {
      violate(
          blamed,
          what
              + "timed out "
              + lateness
              + " ms after its deadline, more than one tick ("
              + tickMs
              + " ms) + "
              + (allowed - tickMs)
              + " ms: "
              + body.encode());
    }
  }

  /** The fixture is shutting its broker down: from now on {@code SHUTDOWN} closes are expected. */
  public synchronized void shuttingDown() {
    shuttingDown = true;
  }

  /** Every close recorded so far, in arrival order. */
  public synchronized List<JsonObject> closes() {
    return List.copyOf(closes);
  }

  /**
   * Fails with every violation not yet reported that belongs to {@code scope} or to no test, after
   * waiting for the events already published. Called by the extension after each test.
   */
  void check(ContractExtension.Scope scope) throws Exception {
    synchronized (this) {
      if (finished) {
        return;
      }
    }
    settler.settle();
    throwUnreported(v -> v.scope == null || v.scope == scope);
  }

  /**
   * The fixture's broker has shut down and every event it published has been recorded: checks
   * everything, including that no session was left without a close, and stops watching.
   */
  public void finish() throws Exception {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      ACTIVE.remove(this);
      sessions.forEach(
          (id, life) -> {
            if (life.opened && life.closes == 0) {
              violate(
                  life.owner,
                  "session " + id + " was opened and never closed, though the broker shut down");
            }
          });
    }
    throwUnreported(v -> true);
  }

  /** Stops watching without the final check: for a fixture whose start failed. */
  public synchronized void abandon() {
    finished = true;
    ACTIVE.remove(this);
  }

  static List<EventContract> active() {
    return List.copyOf(ACTIVE);
  }

  private void violate(ContractExtension.Scope scope, String message) {
    violations.add(new Violation(scope, message));
  }

  private synchronized void throwUnreported(Predicate<Violation> which) {
    List<String> found = new ArrayList<>();
    for (Violation violation : violations) {
      if (!violation.reported && which.test(violation)) {
        violation.reported = true;
        found.add(
            (violation.scope == null ? "" : "[" + violation.scope.name() + "] ")
                + violation.message);
      }
    }
    if (!found.isEmpty()) {
      throw new AssertionError(
          "event contract broken on " + name + ":\n  " + String.join("\n  ", found));
    }
  }

  private static final class SessionLife {
    boolean opened;
    int closes;
    ContractExtension.Scope owner;
  }

  private static final class Violation {
    final ContractExtension.Scope scope;
    final String message;
    boolean reported;

    Violation(ContractExtension.Scope scope, String message) {
      this.scope = scope;
      this.message = message;
    }
  }
}

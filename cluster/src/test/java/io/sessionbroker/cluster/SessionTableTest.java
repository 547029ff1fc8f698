package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The session table's bookkeeping after it was slimmed for a million sessions (compact indexes,
 * byte state, shared liveness, a remote address the connection may keep): same behaviour as before,
 * on a direct executor and a fake clock.
 */
class SessionTableTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<String> events = new ArrayList<>();
  private final List<CloseReason> closes = new ArrayList<>();
  private final SessionTable table =
      SessionTable.builder(TableOptions.defaults(), now::get, "n1")
          .events(new Recorder())
          .executor(Runnable::run)
          .build();

  @Test
  void opensFindsAndClosesASessionByDeviceOrSessionId() {
    Session session = open("d1", "tcp", "10.0.0.1:4000");

    assertThat(session.isOpen()).isTrue();
    assertThat(table.admin().get("d1").result().getString("sessionId"))
        .isEqualTo(session.sessionId());
    assertThat(table.admin().get(session.sessionId()).result().getString("deviceId"))
        .isEqualTo("d1");
    assertThat(table.admin().kick(session.sessionId()).result()).isTrue();
    assertThat(session.isOpen()).isFalse();
    assertThat(table.admin().get("d1").result()).isNull();
    assertThat(closes).containsExactly(CloseReason.KICKED);
    assertThat(events).containsExactly("opened d1", "closed d1 KICKED");
  }

  @Test
  void closesTheOlderSessionWhenTheDeviceOpensANewerOne() {
    Session older = open("d1", "udp", null);
    Session newer = open("d1", "tcp", "10.0.0.1:4000");

    assertThat(older.isOpen()).isFalse();
    assertThat(newer.epoch()).isEqualTo(older.epoch() + 1);
    assertThat(events).containsExactly("opened d1", "closed d1 TAKEN_OVER", "opened d1");
    assertThat(table.admin().count().result())
        .isEqualTo(
            new JsonObject().put("total", 1).put("byTransport", new JsonObject().put("tcp", 1)));
  }

  @Test
  void sharesOneLivenessBetweenSessionsThatNegotiatedTheSame() throws Exception {
    Session a = open("a", "udp", null);
    Session b = open("b", "udp", null);

    assertThat(a.heartbeatMs()).isEqualTo(30_000);
    assertThat(a.timeoutMs()).isEqualTo(45_000);
    Field liveness = Session.class.getDeclaredField("liveness");
    liveness.setAccessible(true);
    assertThat(liveness.get(a)).isSameAs(liveness.get(b));
  }

  @Test
  void asksTheConnectionForTheAddressWhenTheSessionHasNone() {
    Session tracked =
        table
            .open(
                new OpenRequest(
                    "d1",
                    "udp",
                    null,
                    -1,
                    null,
                    new Connection() {
                      @Override
                      public void closed(Session session, CloseReason reason) {}

                      @Override
                      public String remote() {
                        return "192.0.2.7:5683";
                      }
                    }))
            .result();
    Session fixed = open("d2", "tcp", "10.0.0.1:4000");

    assertThat(tracked.remote()).isEqualTo("192.0.2.7:5683");
    assertThat(fixed.remote()).isEqualTo("10.0.0.1:4000");
    tracked.remote("198.51.100.1:1");
    assertThat(tracked.remote()).isEqualTo("198.51.100.1:1");
  }

  @Test
  void touchesWithoutAllocating() {
    Session session = open("d1", "udp", null);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 100_000; i++) { // warm up: let the JIT compile touch
      table.touch(session);
    }

    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 1_000_000; i++) {
      table.touch(session);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(allocated).as("bytes allocated by a million heartbeats").isLessThan(1_000);
  }

  @Test
  void evictsASilentSessionOnceItsTimeoutHasPassed() {
    Session session = open("d1", "udp", null);

    now.addAndGet(45_000 - 1);
    table.tick();
    assertThat(session.isOpen()).isTrue();
    now.addAndGet(TableOptions.DEFAULT_TICK_MS);
    table.tick();

    assertThat(session.isOpen()).isFalse();
    assertThat(closes).containsExactly(CloseReason.TIMEOUT);
  }

  @Test
  void opensThenClosesASessionThatWasClosedWhileItsClaimWasInFlight() {
    // given: a directory that completes a claim only when told to
    LocalDirectory local = new LocalDirectory();
    DeviceDirectory slow =
        new DeviceDirectory() {
          @Override
          public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
            Promise<Claim> promise = Promise.promise();
            pending = () -> promise.complete(local.claim(deviceId, sessionId, nodeId).result());
            return promise.future();
          }

          @Override
          public Future<Boolean> release(String deviceId, long sessionId) {
            return local.release(deviceId, sessionId);
          }

          @Override
          public Future<Holder> holder(String deviceId) {
            return local.holder(deviceId);
          }
        };
    SessionTable slowTable =
        SessionTable.builder(TableOptions.defaults(), now::get, "n1")
            .directory(slow)
            .events(new Recorder())
            .executor(Runnable::run)
            .build();
    Future<Session> opening =
        slowTable.open(
            new OpenRequest("d1", "udp", null, -1, null, (s, reason) -> closes.add(reason)));

    // when: the session is closed twice before it is open, then its claim completes
    slowTable.close(pendingSession(slowTable), CloseReason.SHUTDOWN);
    slowTable.close(pendingSession(slowTable), CloseReason.KICKED);
    pending.run();

    // then: it opened, then closed once, with the first reason asked for
    assertThat(opening.result().isOpen()).isFalse();
    assertThat(events).containsExactly("opened d1", "closed d1 SHUTDOWN");
    assertThat(closes).containsExactly(CloseReason.SHUTDOWN);
  }

  private Runnable pending;

  /**
   * The one session a table holds while its claim is in flight: no public API shows a pending
   * session.
   */
  private static Session pendingSession(SessionTable table) {
    try {
      Field byId = SessionTable.class.getDeclaredField("byId");
      byId.setAccessible(true);
      return (Session) ((CompactIndex<?, ?>) byId.get(table)).toList().get(0);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void listsEverySessionOldestFirst() {
    for (int i = 0; i < 100; i++) {
      open("d" + i, i % 2 == 0 ? "udp" : "tcp", null);
      now.incrementAndGet();
    }

    JsonObject page = table.admin().list("udp", 10, 5).result();

    assertThat(page.getInteger("total")).isEqualTo(50);
    assertThat(page.getJsonArray("sessions").getJsonObject(0).getString("deviceId"))
        .isEqualTo("d20");
  }

  /**
   * Verifies that opening a session on the standalone directory, which answers a claim at once,
   * costs one task on the table's thread: on a broker each task is a hop to that thread, paid by
   * every connect (issue 17).
   */
  @Test
  void opensWithOneTaskOnTheTablesThreadWhenTheDirectoryAnswersAtOnce() {
    // given a table whose thread counts the tasks handed to it
    AtomicLong tasks = new AtomicLong();
    SessionTable counted =
        SessionTable.builder(TableOptions.defaults(), now::get, "n1")
            .events(new Recorder())
            .executor(
                task -> {
                  tasks.incrementAndGet();
                  task.run();
                })
            .build();

    // when a device opens a session
    Future<Session> opened =
        counted.open(new OpenRequest("d1", "tcp", "10.0.0.1:4000", -1, null, (s, r) -> {}));

    // then it is open after a single task
    assertThat(opened.result().isOpen()).isTrue();
    assertThat(tasks.get()).isEqualTo(1);
  }

  private Session open(String deviceId, String transport, String remote) {
    return table
        .open(
            new OpenRequest(
                deviceId, transport, remote, -1, null, (s, reason) -> closes.add(reason)))
        .result();
  }

  private final class Recorder implements SessionEvents {
    @Override
    public void opened(Session session, long at) {
      events.add("opened " + session.deviceId());
    }

    @Override
    public void closed(Session session, CloseReason reason, long at) {
      events.add("closed " + session.deviceId() + " " + reason);
    }

    @Override
    public void rejected(Rejection rejection, long at) {}

    @Override
    public void inbound(Session session, String topic, Object payload, long at) {}
  }
}

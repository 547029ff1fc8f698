package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.EventBusEvents;
import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.Fence;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that what a node starts when its quorum is back ({@link MergeGuard}: look up every local
 * session in the directory, end those it no longer names, announce the withheld closes nobody
 * announced, sweep the orphans) is dropped if the node is cut off again before it completes, and is
 * done by the next rejoin instead: a cut-off node's event log is its own half's, which lacks the
 * majority's {@code NODE_LOST}, so a settle completing there announces those sessions a second
 * time. Found by the long chaos run, seed 101 (docs/benchmarks.md, "Long chaos runs (issue 16,
 * fifth round)"): a rejoin's second look started with the quorum, its lookups answered after the
 * next partition had cut the node off, and 8 sessions got a second {@code NODE_LOST}. DESIGN.md §3
 * invariant 2: every opened session gets exactly one closed event.
 *
 * <p>One real Hazelcast member in this JVM plays node A; the majority's doings (releasing A's
 * entries, its {@code NODE_LOST} in the merged log) are written by the test, and the guard's
 * directory lookups are held until the test answers them.
 */
@Timeout(120)
class RejoinCutOffAgainIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final LifecycleEvent MERGED = new LifecycleEvent(LifecycleState.MERGED);

  private final Members members = new Members();
  private final ExecutorService tableThread = Executors.newSingleThreadExecutor();
  private Vertx vertx;
  private String nodeA;
  private HazelcastDirectory directory;
  private EventLog log;
  private Fence fence;
  private SessionTable table;
  private HeldLookups lookups;
  private MergeGuard guard;

  @BeforeEach
  void startNodeAWithHeldLookups() {
    HazelcastInstance a = members.start(1).get(0);
    vertx = Vertx.vertx();
    nodeA = a.getCluster().getLocalMember().getUuid().toString();
    directory = new HazelcastDirectory(a);
    log = new RingbufferEventLog(a);
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
    fence = new Fence();
    table =
        SessionTable.builder(TableOptions.builder().build(), Clock.monotonic(), nodeA)
            .directory(directory)
            .events(new EventBusEvents(vertx.eventBus(), pipeline, nodeA))
            .executor(tableThread)
            .fence(fence)
            .eventLog(log)
            .build();
    OrphanSweep sweep =
        new OrphanSweep(
            vertx,
            directory,
            pipeline,
            Clock.monotonic(),
            nodeA,
            () -> a.getCluster().getMembers(),
            fence,
            1);
    lookups = new HeldLookups(directory);
    // failure detection far beyond the test: neither the cut-off end nor the second look fires
    guard = new MergeGuard(vertx, table, lookups::entry, Clock.monotonic(), fence, 600_000, sweep);
  }

  @AfterEach
  void stop() {
    members.close();
    vertx.close();
    tableThread.shutdownNow();
  }

  /**
   * Verifies that a merge whose directory lookups answer after the node was cut off again ends no
   * session and announces no close, and that the next merge ends both sessions and gives each one
   * close: the majority's {@code NODE_LOST} for the one it announced (none from A), A's own for the
   * one nobody announced.
   */
  @Test
  void aRejoinCutOffAgainBeforeItsLookupsAnswerAnnouncesNothingAndTheNextRejoinSettles()
      throws Exception {
    // given: two sessions of A, cut off; the majority released both entries meanwhile
    Session announcedByMajority = open("cut-again-majority");
    Session announcedByNobody = open("cut-again-nobody");
    Set<String> ids = Set.of(announcedByMajority.sessionId(), announcedByNobody.sessionId());
    guard.cutOff();
    release(announcedByMajority);
    release(announcedByNobody);
    lookups.hold = true;

    // when: A merges, and is cut off again while its lookups are on the wire
    guard.stateChanged(MERGED);
    Future<Void> firstRejoin = guard.reconciled();
    Awaitility.await().atMost(WAIT).until(() -> lookups.pending() == 2);
    guard.cutOff();
    lookups.answerAll();
    await(firstRejoin);

    // then: no close from A; its sessions are left to the next rejoin (or to the cut-off end)
    assertThat(fence.isCutOff()).isTrue();
    assertThat(closesIn(ids)).isEmpty();
    assertThat(await(table.sessions())).hasSize(2);

    // when: the merged log has the majority's NODE_LOST of one of them, and A merges again
    appendMajorityClose(announcedByMajority, "node-b");
    lookups.hold = false;
    guard.stateChanged(MERGED);
    await(guard.reconciled());

    // then: one close each, the majority's and A's own; no session or withheld close left on A
    Map<String, List<JsonObject>> closes = closesIn(ids);
    assertThat(closes.get(announcedByMajority.sessionId()))
        .singleElement()
        .satisfies(close -> assertThat(close.getString("announcedBy")).isEqualTo("node-b"));
    assertThat(closes.get(announcedByNobody.sessionId()))
        .singleElement()
        .satisfies(close -> assertThat(close.getString("reason")).isEqualTo("NODE_LOST"))
        .satisfies(close -> assertThat(close.getString("node")).isEqualTo(nodeA));
    assertThat(await(table.sessions())).isEmpty();
    assertThat(await(table.cutOff().withheldCount())).isZero();
    assertThat(fence.isCutOff()).isFalse();
  }

  private Session open(String deviceId) throws Exception {
    return await(
        table.open(new OpenRequest(deviceId, "tcp", "127.0.0.1:5000", 60_000, null, (s, r) -> {})));
  }

  /** The majority's node-loss release of a session's entry. */
  private void release(Session session) throws Exception {
    assertThat(await(directory.release(session.deviceId(), session.id()))).isTrue();
  }

  /** A survivor's NODE_LOST of {@code session}, as the merged log holds it. */
  private void appendMajorityClose(Session session, String survivor) throws Exception {
    JsonObject close =
        CloseEvent.nodeLost(session.deviceId(), session.id(), nodeA, survivor, 1L).toJson();
    await(
        log.append(List.of(new JsonObject().put("address", Addresses.CLOSED).put("body", close))));
  }

  /** The closes of these sessions in the event log, by session id. */
  private Map<String, List<JsonObject>> closesIn(Set<String> sessionIds) throws Exception {
    Map<String, List<JsonObject>> closes = new HashMap<>();
    long from = 0;
    while (true) {
      JsonObject page = await(log.read(from, 1_000));
      JsonArray events = page.getJsonArray("events");
      for (int i = 0; i < events.size(); i++) {
        JsonObject event = events.getJsonObject(i);
        JsonObject body = event.getJsonObject("body");
        if (Addresses.CLOSED.equals(event.getString("address"))
            && sessionIds.contains(body.getString("sessionId"))) {
          closes.computeIfAbsent(body.getString("sessionId"), id -> new ArrayList<>()).add(body);
        }
      }
      long next = page.getLong("nextSeq");
      if (events.isEmpty() || next <= from) {
        return closes;
      }
      from = next;
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** The directory's lookups; while held, each answers only when the test says so. */
  private static final class HeldLookups {
    volatile boolean hold;
    private final HazelcastDirectory delegate;
    private final List<Runnable> pending = new ArrayList<>();

    HeldLookups(HazelcastDirectory delegate) {
      this.delegate = delegate;
    }

    Future<DirectoryEntry> entry(String deviceId) {
      if (!hold) {
        return delegate.entry(deviceId);
      }
      Promise<DirectoryEntry> answer = Promise.promise();
      synchronized (pending) {
        pending.add(() -> delegate.entry(deviceId).onComplete(answer));
      }
      return answer.future();
    }

    int pending() {
      synchronized (pending) {
        return pending.size();
      }
    }

    /** Answers every held lookup with what the directory holds now. */
    void answerAll() {
      List<Runnable> answers;
      synchronized (pending) {
        answers = new ArrayList<>(pending);
        pending.clear();
      }
      answers.forEach(Runnable::run);
    }
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.broker.EventRecorder.on;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the clustered broker over three real processes on loopback, started as an operator
 * starts them ({@code --cluster --port-offset 0/10/20}), with devices over TCP, MQTT and WebSocket
 * on every node and an administrator subscribed through the TCP bridge of node A: cluster-wide
 * admin API, cross-node takeover race, replay of missed events, a node that does not answer ({@code
 * unreachable}), graceful stop (SHUTDOWN) and SIGKILL (exactly one NODE_LOST per session).
 *
 * <p>The tests share one cluster and run in order: the graceful-stop test restarts the node it
 * stopped. Every event of the cluster is checked against the event contract through the bridges of
 * nodes A and B, which no test stops; each test waits for the closes of the sessions it opened
 * before it ends, and the cluster is stopped gracefully at the end, so that every session opened
 * has exactly one close. Hazelcast's failure detection is raised to a minute, so that a node frozen
 * for the {@code unreachable} test stays a member meanwhile; a killed or stopped node is noticed at
 * once all the same.
 */
@Timeout(240)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  static final Duration WAIT = ThreeNodes.WAIT;
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;

  private ThreeNodes cluster;
  private BrokerProcess[] nodes;
  private BridgeClient admin;
  private EventRecorder events;
  private ClusterContract contract;

  @BeforeAll
  void startThreeNodes() throws Exception {
    cluster = ThreeNodes.start("cluster-it", ThreeNodes.JVM, Duration.ofSeconds(60));
    nodes = cluster.nodes;
    admin = cluster.admin;
    events = new EventRecorder(bridgePort(A), Addresses.OPENED, Addresses.CLOSED);
    contract = cluster.contract(A, B);
  }

  /** Stops the cluster gracefully and checks that every session opened was closed exactly once. */
  @AfterAll
  void stopNodes() throws Exception {
    try {
      if (contract != null) {
        cluster.stopAndFinish(contract);
      }
    } finally {
      if (contract != null) {
        contract.close();
      }
      if (events != null) {
        events.close();
      }
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  @Order(1)
  @ExpectCloses({CloseReason.KICKED, CloseReason.CONNECTION_LOST})
  void adminListAndCountFromOneNodeCoverEveryNodeAndKickReachesTheHoldingNode() throws Exception {
    // given: one device on each node, over three transports
    try (TcpDevice onA = tcp(A);
        MqttDevice onB = mqtt(B);
        WsPeer onC = new WsPeer(port("websocket", C))) {
      onA.hello("admin-a", 30);
      assertThat(onB.connect("admin-b", 30, WAIT)).isZero();
      onC.hello("admin-c", 30);
      for (String device : List.of("admin-a", "admin-b", "admin-c")) {
        events.await(on(Addresses.OPENED, device), 1, WAIT);
      }

      // when
      JsonObject count = admin.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT);
      JsonObject list =
          admin.request(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1000), WAIT);
      JsonObject got =
          admin.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", "admin-c"), WAIT);
      JsonObject kicked =
          admin.request(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "admin-c"), WAIT);

      // then
      assertThat(count.getJsonObject("byNode").fieldNames()).containsExactlyInAnyOrder(nodeIds());
      assertThat(count.getJsonObject("byTransport").getMap())
          .containsKeys("tcp", "mqtt", "websocket");
      assertThat(count.containsKey("unreachable")).isFalse();
      assertThat(devices(list.getJsonArray("sessions"))).contains("admin-a", "admin-b", "admin-c");
      assertThat(got.getString("node")).isEqualTo(nodes[C].nodeId());
      assertThat(kicked.getBoolean("kicked")).isTrue();
      JsonObject closed = events.await(on(Addresses.CLOSED, "admin-c"), 1, WAIT).get(0).body();
      assertThat(closed.getString("reason")).isEqualTo("KICKED");
      assertThat(closed.getString("node")).isEqualTo(nodes[C].nodeId());
    }
    awaitAllClosed("admin-a", "admin-b", "admin-c");
  }

  @Test
  @Order(2)
  @ExpectCloses({CloseReason.TAKEN_OVER, CloseReason.CONNECTION_LOST})
  void sameDeviceOnTwoNodesAtOnceLeavesExactlyOneSessionAndOneTakenOverClose() throws Exception {
    List<AutoCloseable> sockets = new ArrayList<>();
    try {
      for (int round = 0; round < 10; round++) {
        // given
        String device = "race-" + round;
        TcpDevice onB = tcp(B);
        TcpDevice onC = tcp(C);
        sockets.add(onB);
        sockets.add(onC);

        // when: both say hello at the same moment
        CompletableFuture<JsonObject> welcomeB =
            CompletableFuture.supplyAsync(() -> hello(onB, device));
        CompletableFuture<JsonObject> welcomeC =
            CompletableFuture.supplyAsync(() -> hello(onC, device));
        welcomeB.get(30, TimeUnit.SECONDS);
        welcomeC.get(30, TimeUnit.SECONDS);

        // then: two opens, epochs 1 and 2 in some order; the older one closed TAKEN_OVER, exactly
        // once
        List<EventRecorder.Event> opened = events.await(on(Addresses.OPENED, device), 2, WAIT);
        List<EventRecorder.Event> closed = events.await(on(Addresses.CLOSED, device), 1, WAIT);
        JsonObject older =
            opened.stream()
                .map(EventRecorder.Event::body)
                .min((x, y) -> Long.compare(x.getLong("epoch"), y.getLong("epoch")))
                .orElseThrow();
        assertThat(opened.stream().map(e -> e.body().getLong("epoch")).toList())
            .containsExactlyInAnyOrder(1L, 2L);
        assertThat(closed.get(0).body().getString("reason")).isEqualTo("TAKEN_OVER");
        assertThat(closed.get(0).body().getString("sessionId"))
            .isEqualTo(older.getString("sessionId"));
      }
      // and no second close for any loser, no close for any winner
      JsonObject count = awaitCount(c -> c.getInteger("total") >= 10);
      for (int round = 0; round < 10; round++) {
        assertThat(events.matching(on(Addresses.CLOSED, "race-" + round))).hasSize(1);
      }
      assertThat(count.getInteger("total")).isEqualTo(10);
    } finally {
      for (AutoCloseable socket : sockets) {
        socket.close();
      }
    }
    awaitAllClosed(
        IntStream.range(0, 10).mapToObj(round -> "race-" + round).toArray(String[]::new));
  }

  @Test
  @Order(3)
  @ExpectCloses({CloseReason.CLIENT_CLOSED, CloseReason.CONNECTION_LOST})
  void aSubscriberThatWasAwayReplaysTheEventsItMissedWithoutAGap() throws Exception {
    // given: a subscriber on node B saw an event, then went away
    long lastSeen;
    try (EventRecorder away = new EventRecorder(bridgePort(B), Addresses.OPENED, Addresses.CLOSED);
        TcpDevice device = tcp(B)) {
      device.hello("replay-before", 30);
      lastSeen =
          away.await(on(Addresses.OPENED, "replay-before"), 1, WAIT).get(0).body().getLong("seq");
    }

    // when: sessions open and close on every node while it is away
    for (int node = 0; node < 3; node++) {
      try (TcpDevice device = tcp(node)) {
        device.hello("replay-" + node, 30);
        events.await(on(Addresses.OPENED, "replay-" + node), 1, WAIT);
        device.send(new JsonObject().put("type", "bye"));
        events.await(on(Addresses.CLOSED, "replay-" + node), 1, WAIT);
      }
    }
    JsonObject page;
    try (BridgeClient back = new BridgeClient("127.0.0.1", bridgePort(B))) {
      page =
          back.request(
              Addresses.ADMIN_EVENTS,
              new JsonObject().put("fromSeq", lastSeen + 1).put("max", 1000),
              WAIT);
    }

    // then: every event since, numbered without a hole, including the six it missed
    JsonArray missed = page.getJsonArray("events");
    assertThat(page.getBoolean("gap")).isFalse();
    for (int i = 0; i < missed.size(); i++) {
      assertThat(missed.getJsonObject(i).getLong("seq")).isEqualTo(lastSeen + 1 + i);
    }
    assertThat(page.getLong("nextSeq")).isEqualTo(lastSeen + 1 + missed.size());
    List<String> seen =
        missed.stream()
            .map(
                e ->
                    ((JsonObject) e).getString("address")
                        + " "
                        + ((JsonObject) e).getJsonObject("body").getString("deviceId"))
            .toList();
    for (int node = 0; node < 3; node++) {
      assertThat(seen)
          .containsSubsequence(
              Addresses.OPENED + " replay-" + node, Addresses.CLOSED + " replay-" + node);
    }
    awaitAllClosed("replay-before");
  }

  /**
   * Verifies that a node which does not answer is named under {@code unreachable} by a cluster-wide
   * count and list (docs/events.md), while the nodes that answer are merged as usual, and that it
   * counts again once it answers.
   */
  @Test
  @Order(4)
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void countAndListNameANodeThatDoesNotAnswerUnreachableAndMergeTheOthers() throws Exception {
    try (TcpDevice onA = tcp(A);
        TcpDevice onC = tcp(C)) {
      // given: a session on A and one on C
      onA.hello("unreachable-a", 30);
      onC.hello("unreachable-c", 30);
      events.await(on(Addresses.OPENED, "unreachable-a"), 1, WAIT);
      events.await(on(Addresses.OPENED, "unreachable-c"), 1, WAIT);

      // when: C's process is frozen (still a cluster member, but it answers nothing) and B is asked
      List<JsonObject> replies = askWhileFrozen(C, B);

      // then: C is unreachable; A and B answered, and what they hold is there
      for (JsonObject reply : replies) {
        assertThat(reply.getJsonArray("unreachable"))
            .as(reply.encode())
            .containsExactly(nodes[C].nodeId());
      }
      JsonObject count = replies.get(0);
      JsonObject list = replies.get(1);
      assertThat(count.getJsonObject("byNode").fieldNames())
          .containsExactlyInAnyOrder(nodes[A].nodeId(), nodes[B].nodeId());
      assertThat(count.getInteger("total"))
          .isEqualTo(
              count.getJsonObject("byNode").stream().mapToInt(e -> (Integer) e.getValue()).sum());
      assertThat(count.getJsonObject("byNode").getInteger(nodes[A].nodeId())).isPositive();
      assertThat(devices(list.getJsonArray("sessions")))
          .contains("unreachable-a")
          .doesNotContain("unreachable-c");
      assertThat(list.getInteger("total")).isEqualTo(count.getInteger("total"));

      // and once C answers again, it counts again, with its session
      JsonObject whole = awaitCount(c -> !c.containsKey("unreachable"));
      assertThat(whole.getJsonObject("byNode").getInteger(nodes[C].nodeId())).isPositive();
      JsonObject wholeList =
          admin.request(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1000), WAIT);
      assertThat(wholeList.containsKey("unreachable")).isFalse();
      assertThat(devices(wholeList.getJsonArray("sessions")))
          .contains("unreachable-a", "unreachable-c");
    }
    awaitAllClosed("unreachable-a", "unreachable-c");
  }

  @Test
  @Order(5)
  @ExpectCloses({CloseReason.SHUTDOWN, CloseReason.CLIENT_CLOSED})
  void gracefulStopAnnouncesShutdownForEachSessionAndReleasesItsEntries() throws Exception {
    // given: node C holds sessions over three transports
    List<String> held = List.of("stop-tcp-0", "stop-tcp-1", "stop-mqtt-0", "stop-ws-0");
    try (TcpDevice t0 = tcp(C);
        TcpDevice t1 = tcp(C);
        MqttDevice m0 = mqtt(C);
        WsPeer w0 = new WsPeer(port("websocket", C))) {
      t0.hello(held.get(0), 30);
      t1.hello(held.get(1), 30);
      assertThat(m0.connect(held.get(2), 30, WAIT)).isZero();
      w0.hello(held.get(3), 30);
      for (String device : held) {
        events.await(on(Addresses.OPENED, device), 1, WAIT);
      }

      // when
      assertThat(nodes[C].terminate(Duration.ofSeconds(30))).isZero();

      // then: one SHUTDOWN each; once A and B have seen C leave (2 members: quorum), nothing more
      for (String device : held) {
        assertThat(
                events
                    .await(on(Addresses.CLOSED, device), 1, WAIT)
                    .get(0)
                    .body()
                    .getString("reason"))
            .isEqualTo("SHUTDOWN");
      }
      awaitMembers(2);
      try (TcpDevice again = tcp(A)) {
        again.hello(held.get(0), 30);
        JsonObject reopened =
            events.await(on(Addresses.OPENED, held.get(0)), 2, WAIT).get(1).body();
        assertThat(reopened.getLong("epoch")).isEqualTo(2);
        again.send(new JsonObject().put("type", "bye"));
        events.await(on(Addresses.CLOSED, held.get(0)), 2, WAIT);
      }
      for (String device : held) {
        assertThat(
                events.matching(on(Addresses.CLOSED, device)).stream()
                    .map(e -> e.body().getString("reason"))
                    .toList())
            .isEqualTo(
                device.equals(held.get(0))
                    ? List.of("SHUTDOWN", "CLIENT_CLOSED")
                    : List.of("SHUTDOWN"));
      }
    }
    // and C comes back for the next test
    cluster.restart(C);
  }

  @Test
  @Order(6)
  @ExpectCloses({CloseReason.NODE_LOST, CloseReason.CONNECTION_LOST})
  void sigkillOfANodeAnnouncesEachOfItsSessionsNodeLostExactlyOnce() throws Exception {
    List<AutoCloseable> sockets = new ArrayList<>();
    try {
      // given: 20 TCP, 10 MQTT and 2 WebSocket sessions on C; 5 TCP sessions each on A and B
      List<String> onC = new ArrayList<>();
      List<String> elsewhere = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        TcpDevice device = tcp(C);
        sockets.add(device);
        device.hello("kill-tcp-" + i, 30);
        onC.add("kill-tcp-" + i);
      }
      for (int i = 0; i < 10; i++) {
        MqttDevice device = mqtt(C);
        sockets.add(device);
        assertThat(device.connect("kill-mqtt-" + i, 30, WAIT)).isZero();
        onC.add("kill-mqtt-" + i);
      }
      for (int i = 0; i < 2; i++) {
        WsPeer device = new WsPeer(port("websocket", C));
        sockets.add(device);
        device.hello("kill-ws-" + i, 30);
        onC.add("kill-ws-" + i);
      }
      for (int node : new int[] {A, B}) {
        for (int i = 0; i < 5; i++) {
          TcpDevice device = tcp(node);
          sockets.add(device);
          device.hello("keep-" + node + "-" + i, 30);
          elsewhere.add("keep-" + node + "-" + i);
        }
      }
      Map<String, String> sessionOnC =
          onC.stream()
              .collect(
                  Collectors.toMap(
                      d -> d, d -> uncheckedAwait(on(Addresses.OPENED, d)).getString("sessionId")));
      elsewhere.forEach(this::uncheckedAwait);

      // when: C is killed; five of its TCP devices reconnect to B at once, as real devices do, long
      // before
      // the cluster notices that C is gone
      long killedAt = System.nanoTime();
      nodes[C].kill();
      for (int i = 0; i < 5; i++) {
        TcpDevice device = tcp(B);
        sockets.add(device);
        device.hello("kill-tcp-" + i, 30);
      }

      // then: one NODE_LOST per session of C, announced by a survivor
      List<EventRecorder.Event> lost =
          events.await(
              e ->
                  e.address().equals(Addresses.CLOSED)
                      && sessionOnC.containsValue(e.body().getString("sessionId")),
              onC.size(),
              Duration.ofSeconds(30));
      long lastMs =
          TimeUnit.NANOSECONDS.toMillis(
              lost.stream().mapToLong(EventRecorder.Event::receivedNanos).max().orElseThrow()
                  - killedAt);
      System.out.printf(
          "cluster_it node_lost sessions=%d last_close_after_kill_ms=%d%n", onC.size(), lastMs);
      assertThat(lastMs).isLessThan(15_000);
      Set<String> survivors = Set.of(nodes[A].nodeId(), nodes[B].nodeId());
      for (EventRecorder.Event close : lost) {
        assertThat(close.body().getString("reason")).isEqualTo("NODE_LOST");
        assertThat(close.body().getString("node")).isEqualTo(nodes[C].nodeId());
        assertThat(close.body().getValue("lastSeenAt")).isNull();
        assertThat(survivors).contains(close.body().getString("announcedBy"));
      }
      // every survivor has announced what it released, and no more than one close per session in
      // all
      assertThat(cluster.awaitAnnounced(C, Duration.ofSeconds(30))).isEqualTo(onC.size());
      for (String device : onC) {
        assertThat(
                events.matching(
                    e ->
                        e.address().equals(Addresses.CLOSED)
                            && sessionOnC.get(device).equals(e.body().getString("sessionId"))))
            .hasSize(1);
      }
      for (String device : elsewhere) {
        assertThat(events.matching(on(Addresses.CLOSED, device))).isEmpty();
      }
      for (int i = 0; i < 5; i++) { // the reconnected sessions stay open
        assertThat(events.matching(on(Addresses.CLOSED, "kill-tcp-" + i))).hasSize(1);
        assertThat(
                events
                    .matching(on(Addresses.OPENED, "kill-tcp-" + i))
                    .get(1)
                    .body()
                    .getLong("epoch"))
            .isEqualTo(2);
      }
      JsonObject count = awaitCount(c -> !c.getJsonObject("byNode").containsKey(nodes[C].nodeId()));
      assertThat(count.getInteger("total")).isEqualTo(15);
    } finally {
      for (AutoCloseable socket : sockets) {
        socket.close();
      }
    }
    awaitAllClosed(IntStream.range(0, 5).mapToObj(i -> "kill-tcp-" + i).toArray(String[]::new));
    awaitAllClosed(
        List.of(A, B).stream()
            .flatMap(node -> IntStream.range(0, 5).mapToObj(i -> "keep-" + node + "-" + i))
            .toArray(String[]::new));
  }

  // ---- helpers

  /**
   * Freezes node {@code frozen} and asks node {@code asked} for the count and the list three times
   * each, at once: whichever node the event bus would hand a request to, the frozen one included,
   * {@code asked} must answer. Returns the replies, count and list alternating; resumes the frozen
   * node before it returns.
   */
  private List<JsonObject> askWhileFrozen(int frozen, int asked) throws Exception {
    ExecutorService askers = Executors.newFixedThreadPool(6);
    try (BridgeClient bridge = new BridgeClient("127.0.0.1", bridgePort(asked))) {
      // the node has asked every node before, as an admin API in use has: the event bus looks up
      // where an
      // address is registered (a Hazelcast map, which stalls on a frozen member's partitions) once,
      // then caches it
      bridge.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT);
      bridge.request(Addresses.ADMIN_LIST, new JsonObject(), WAIT);
      nodes[frozen].freeze();
      List<Future<JsonObject>> replies = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        replies.add(
            askers.submit(() -> bridge.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT)));
        replies.add(
            askers.submit(
                () ->
                    bridge.request(
                        Addresses.ADMIN_LIST, new JsonObject().put("limit", 1000), WAIT)));
      }
      List<JsonObject> answered = new ArrayList<>();
      for (Future<JsonObject> reply : replies) {
        answered.add(reply.get(30, TimeUnit.SECONDS));
      }
      return answered;
    } finally {
      askers.shutdownNow();
      nodes[frozen].resume();
    }
  }

  /**
   * Waits until every session of these devices opened so far has its close, as node A's bridge saw
   * them: the end of a test, after it closed its devices, so that no close of this test arrives
   * during the next.
   */
  private void awaitAllClosed(String... devices) throws InterruptedException {
    for (String device : devices) {
      int opened = events.matching(on(Addresses.OPENED, device)).size();
      events.await(on(Addresses.CLOSED, device), opened, WAIT);
    }
  }

  private int port(String listener, int node) {
    return cluster.port(listener, node);
  }

  private int bridgePort(int node) {
    return cluster.bridgePort(node);
  }

  private TcpDevice tcp(int node) throws IOException {
    return cluster.tcp(node);
  }

  private MqttDevice mqtt(int node) throws IOException {
    return cluster.mqtt(node);
  }

  private void awaitMembers(int members) throws Exception {
    cluster.awaitMembers(members);
  }

  private JsonObject awaitCount(java.util.function.Predicate<JsonObject> wanted) throws Exception {
    return cluster.awaitCount(wanted);
  }

  private static JsonObject hello(TcpDevice device, String id) {
    try {
      return device.hello(id, 30);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonObject uncheckedAwait(java.util.function.Predicate<EventRecorder.Event> filter) {
    try {
      return events.await(filter, 1, WAIT).get(0).body();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private void uncheckedAwait(String device) {
    uncheckedAwait(on(Addresses.OPENED, device));
  }

  private String[] nodeIds() {
    return java.util.Arrays.stream(nodes).map(BrokerProcess::nodeId).toArray(String[]::new);
  }

  private static List<String> devices(JsonArray sessions) {
    return sessions.stream().map(s -> ((JsonObject) s).getString("deviceId")).toList();
  }
}

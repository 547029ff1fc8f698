package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.EventContract;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the cluster's promises through a short seeded run of faults, the in-build version of
 * {@code bench/chaos.py}: three nodes in network namespaces of their own, a few hundred devices
 * that reconnect to a random node whenever their connection ends, and, in an order and on nodes the
 * seed chooses, one of each fault — SIGKILL and restart, SIGSTOP for 3–10 s, a network partition of
 * 5–20 s and its heal, a graceful restart — each followed by a wait until the cluster is whole and
 * every device holds a session again. Then it checks the cluster's whole event log ({@code
 * sessions.admin.events}) with the {@link EventContract}: every session opened once and closed at
 * most once, after its open, for a reason a fault explains; every session without a close listed
 * once by the tables, no device with two live sessions, no {@code NODE_LOST} for a session of a
 * node that was never killed, frozen or cut off; and, once the devices hang up, a close for every
 * session. DESIGN.md §3 invariants 1 and 2.
 *
 * <p>{@code -Dchaos.seed=N} repeats a run (the faults, nodes and durations; thread timing still
 * varies), {@code -Dchaos.devices=N} sets the number of devices (300). Needs root and iproute2;
 * skipped with a message elsewhere.
 */
@Timeout(600)
class ChaosIT {

  private static final Duration QUIET = Duration.ofSeconds(120);

  /** A node's first look at its sessions once its quorum is back (MergeGuard). */
  private static final Pattern REJOINED =
      Pattern.compile("node_rejoined how=(members_back|merged) ");

  /** Its second look, or the note that it skipped it (cut off again). */
  private static final Pattern REJOINED_AGAIN = Pattern.compile("node_rejoined how=\\w+_again ");

  private static final String PREFIX = "chaos-";

  /** The lines of a node's log that say what happened to its cluster, for a failure's report. */
  private static final Pattern NOTABLE =
      Pattern.compile(
          " (WARN|ERROR) io\\.sessionbroker\\.|node_rejoined|withheld|node_lost |orphans_|event_log|shutdown_");

  private enum Fault {
    KILL,
    FREEZE,
    PARTITION,
    RESTART
  }

  @Test
  @ExpectCloses({CloseReason.NODE_LOST, CloseReason.SHUTDOWN, CloseReason.TAKEN_OVER})
  void everySessionClosesOnceThroughKillFreezePartitionAndRestart() throws Exception {
    long seed = Long.getLong("chaos.seed", 16);
    int devices = Integer.getInteger("chaos.devices", 300);
    Random random = new Random(seed);
    List<Fault> faults = new ArrayList<>(List.of(Fault.values()));
    Collections.shuffle(faults, random);
    Set<String> faulted = new HashSet<>();
    EventContract contract = null;
    try (NetworkNamespaces net = NetworkNamespaces.create();
        ThreeNodes cluster = ThreeNodes.start("chaos-it", net)) {
      long logStart = logEnd(cluster);
      contract = new EventContract("the chaos run's event log (seed " + seed + ")", 100, () -> {});
      try (ChaosDevices fleet = new ChaosDevices(cluster, PREFIX, devices, seed)) {
        // given every device connected
        awaitQuiet(cluster, devices, logStart);

        // when one fault of each kind strikes, in the seed's order
        for (int i = 0; i < faults.size(); i++) {
          Fault fault = faults.get(i);
          int[] held = held(cluster);
          int node = target(held, random);
          long startedAt = System.nanoTime();
          String what =
              strike(cluster, net, fault, node, random, faulted)
                  + " (it held "
                  + held[node]
                  + " sessions)";
          awaitQuiet(cluster, devices, logStart);
          System.out.printf(
              "chaos_it seed=%d fault=%d/%d %s -> whole, %d devices live after %d ms%n",
              seed,
              i + 1,
              faults.size(),
              what,
              devices,
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
        }

        // then the log and the tables agree, session by session
        Map<String, String> opened = new HashMap<>();
        long next = replay(cluster, logStart, contract, opened);
        Map<String, String> live = liveInLog(opened, contract);
        JsonArray listed = list(cluster);
        Set<String> listedSessions = new HashSet<>();
        Set<String> listedDevices = new HashSet<>();
        listed.forEach(
            s -> {
              listedSessions.add(((JsonObject) s).getString("sessionId"));
              listedDevices.add(((JsonObject) s).getString("deviceId"));
            });
        assertThat(listed).as("one listed session per device").hasSize(devices);
        assertThat(listedDevices).hasSize(devices);
        assertThat(listedSessions)
            .as("the tables hold exactly the sessions the log has not closed")
            .isEqualTo(live.keySet());
        assertThat(new HashSet<>(live.values()))
            .as("no device with two live sessions in the log")
            .hasSize(live.size());
        for (JsonObject close : contract.closes()) {
          if (close.getString("reason").equals("NODE_LOST")) {
            assertThat(faulted)
                .as("NODE_LOST only for a node that was killed, frozen or cut off: " + close)
                .contains(close.getString("node"));
          }
        }
        System.out.printf(
            "chaos_it seed=%d sessions=%d closes=%d by_reason=%s live=%d%n",
            seed,
            fleet.welcomes(),
            contract.closes().size(),
            byReason(contract.closes()),
            live.size());

        // and once the devices hang up, every session has its one close
        fleet.stop();
        cluster.awaitCount(count -> count.getInteger("total") == 0);
        awaitLogged(cluster, logStart, opened.keySet());
        replay(cluster, next, contract, opened);
      }
      try {
        contract.finish();
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\n" + digest(cluster), e);
      }
    } finally {
      if (contract != null) {
        contract.abandon();
      }
    }
  }

  /**
   * A node drawn with a weight of the sessions it holds: devices of a faulted node reconnect to the
   * others, so a node just restarted holds none, and a fault on it would test nothing.
   */
  private static int target(int[] held, Random random) {
    int drawn = random.nextInt(IntStream.of(held).sum());
    int node = 0;
    while (drawn >= held[node]) {
      drawn -= held[node];
      node++;
    }
    return node;
  }

  /** The sessions each node holds now. */
  private static int[] held(ThreeNodes cluster) throws Exception {
    JsonObject byNode =
        cluster
            .admin
            .request(Addresses.ADMIN_COUNT, new JsonObject(), ThreeNodes.WAIT)
            .getJsonObject("byNode");
    int[] held = new int[3];
    for (int node = 0; node < 3; node++) {
      held[node] = byNode.getInteger(cluster.nodeId(node), 0);
    }
    return held;
  }

  /** Applies {@code fault} to {@code node}; returns what it did, for the report. */
  private static String strike(
      ThreeNodes cluster,
      NetworkNamespaces net,
      Fault fault,
      int node,
      Random random,
      Set<String> faulted)
      throws Exception {
    String name = "node " + (char) ('A' + node);
    switch (fault) {
      case KILL -> {
        faulted.add(cluster.nodeId(node));
        cluster.nodes[node].kill();
        cluster.restart(node);
        return "kill + restart " + name;
      }
      case FREEZE -> {
        long ms = 3_000 + random.nextInt(7_001);
        faulted.add(cluster.nodeId(node));
        cluster.nodes[node].freeze();
        endAfter(
            ms,
            () -> {
              cluster.nodes[node].resume();
              return null;
            });
        return "freeze " + ms + " ms " + name;
      }
      case PARTITION -> {
        long ms = 5_000 + random.nextInt(15_001);
        faulted.add(cluster.nodeId(node));
        net.cut(node);
        endAfter(
            ms,
            () -> {
              net.heal(node);
              return null;
            });
        return "partition " + ms + " ms " + name;
      }
      case RESTART -> {
        int exit = cluster.nodes[node].terminate(Duration.ofSeconds(60));
        assertThat(exit).as(name + " exit code on SIGTERM").isZero();
        cluster.restart(node);
        return "graceful restart " + name;
      }
      default -> throw new IllegalStateException(fault.name());
    }
  }

  /**
   * Ends a fault once its length ({@code ms}, drawn by the seed) has passed: {@code end} runs on a
   * timer, and the test goes on when it has run. The length is the fault itself, not a wait for an
   * outcome: what follows waits for the cluster's answers.
   */
  private static void endAfter(long ms, Callable<Void> end) throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      timer.schedule(end, ms, TimeUnit.MILLISECONDS).get(ms + 60_000, TimeUnit.MILLISECONDS);
    } finally {
      timer.shutdownNow();
    }
  }

  /**
   * Waits until the cluster is whole (three nodes answer) and every device holds exactly one
   * session in the tables. A node that just woke or healed can fail a request meanwhile: the wait
   * goes on.
   */
  private static void awaitQuiet(ThreeNodes cluster, int devices, long logStart) {
    Awaitility.await("three nodes and " + devices + " devices, one session each, merges settled")
        .atMost(QUIET)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> quiet(cluster, devices, logStart));
  }

  private static boolean quiet(ThreeNodes cluster, int devices, long logStart) throws Exception {
    JsonObject count =
        cluster.admin.request(Addresses.ADMIN_COUNT, new JsonObject(), ThreeNodes.WAIT);
    if (count.getJsonObject("byNode").size() != 3
        || count.containsKey("unreachable")
        || count.getInteger("total") != devices
        || !mergesSettled(cluster)) {
      return false;
    }
    Set<String> listed = new HashSet<>();
    Set<String> listedSessions = new HashSet<>();
    list(cluster)
        .forEach(
            s -> {
              listed.add(((JsonObject) s).getString("deviceId"));
              listedSessions.add(((JsonObject) s).getString("sessionId"));
            });
    // A node just back from a cut may still hold sessions the majority announced NODE_LOST
    // while it was away, until its merge ends them: not quiet yet (seed 3 listed 291 of 300 when
    // the count of 300 included them).
    listedSessions.retainAll(closedInLog(cluster, logStart));
    return listed.size() == devices && listedSessions.isEmpty();
  }

  /**
   * Whether every node that rejoined has done its second look at its sessions, 2 × failure
   * detection later ({@code MergeGuard}: {@code node_rejoined how=…_again}), which may end more.
   */
  private static boolean mergesSettled(ThreeNodes cluster) throws Exception {
    for (BrokerProcess node : cluster.nodes) {
      String log = Files.readString(node.log);
      if (REJOINED.matcher(log).results().count()
          != REJOINED_AGAIN.matcher(log).results().count()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until the log has a close for each of {@code sessions}: a table drops a session before
   * its close is appended (the append is asynchronous, batched behind the one in flight), so an
   * empty table can be read a moment before its last closes are in the log. Returns without failing
   * after the wait: the contract then names every session still without a close.
   */
  private static void awaitLogged(ThreeNodes cluster, long logStart, Set<String> sessions) {
    try {
      Awaitility.await("a close in the log for every session opened")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> closedInLog(cluster, logStart).containsAll(sessions));
    } catch (ConditionTimeoutException e) {
      System.out.println("chaos_it closes missing from the log after 30 s: " + e.getMessage());
    }
  }

  /**
   * What every node logged about its cluster, every incarnation (a restarted node writes a new
   * log): the broker's own warnings and errors (not Hazelcast's, which are many in a chaos run),
   * its rejoins, node losses, orphan sweeps and settles of withheld closes.
   */
  private static String digest(ThreeNodes cluster) {
    StringBuilder digest = new StringBuilder("what the nodes logged about the cluster:");
    try (Stream<Path> logs = Files.list(cluster.conf.getParent())) {
      for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        digest.append("\n== ").append(log.getFileName());
        Files.readAllLines(log).stream()
            .filter(NOTABLE.asPredicate())
            .forEach(line -> digest.append("\n").append(line));
      }
    } catch (IOException e) {
      digest.append(" (unreadable: ").append(e).append(')');
    }
    return digest.toString();
  }

  /** The sessions with a close in the cluster's event log from {@code from} on. */
  private static Set<String> closedInLog(ThreeNodes cluster, long from) throws Exception {
    Set<String> closed = new HashSet<>();
    readLog(
        cluster,
        from,
        event -> {
          if (event.getString("address").equals(Addresses.CLOSED)) {
            closed.add(event.getJsonObject("body").getString("sessionId"));
          }
        });
    return closed;
  }

  /** Every session the tables hold, a page of 1,000 at a time. */
  private static JsonArray list(ThreeNodes cluster) throws Exception {
    JsonArray all = new JsonArray();
    while (true) {
      JsonObject page =
          cluster.admin.request(
              Addresses.ADMIN_LIST,
              new JsonObject().put("offset", all.size()).put("limit", 1000),
              ThreeNodes.WAIT);
      all.addAll(page.getJsonArray("sessions"));
      if (page.getJsonArray("sessions").isEmpty() || all.size() >= page.getInteger("total")) {
        return all;
      }
    }
  }

  private static long logEnd(ThreeNodes cluster) throws Exception {
    return cluster
        .admin
        .request(
            Addresses.ADMIN_EVENTS,
            new JsonObject().put("fromSeq", Long.MAX_VALUE).put("max", 1),
            ThreeNodes.WAIT)
        .getLong("nextSeq");
  }

  /** Feeds the log from {@code from} to its end to the contract; returns where it ended. */
  private static long replay(
      ThreeNodes cluster, long from, EventContract contract, Map<String, String> opened)
      throws Exception {
    return readLog(
        cluster,
        from,
        event -> {
          JsonObject body = event.getJsonObject("body").copy().put("seq", event.getLong("seq"));
          contract.record(event.getString("address"), body);
          if (event.getString("address").equals(Addresses.OPENED)) {
            opened.put(body.getString("sessionId"), body.getString("deviceId"));
          }
        });
  }

  /**
   * Hands every event of the cluster's log from {@code from} on to {@code each}, in order; fails if
   * the log overwrote some of them. Returns where the log ends.
   */
  private static long readLog(ThreeNodes cluster, long from, Consumer<JsonObject> each)
      throws Exception {
    while (true) {
      JsonObject page =
          cluster.admin.request(
              Addresses.ADMIN_EVENTS,
              new JsonObject().put("fromSeq", from).put("max", AdminApi.MAX_EVENTS),
              ThreeNodes.WAIT);
      assertThat(page.getBoolean("gap")).as("the log kept every event of the run").isFalse();
      JsonArray events = page.getJsonArray("events");
      if (events.isEmpty()) {
        return from;
      }
      events.forEach(event -> each.accept((JsonObject) event));
      from = page.getLong("nextSeq");
    }
  }

  /** The sessions the log opened and has not closed: session id → device id. */
  private static Map<String, String> liveInLog(Map<String, String> opened, EventContract contract) {
    Map<String, String> live = new HashMap<>(opened);
    contract.closes().forEach(c -> live.remove(c.getString("sessionId")));
    return live;
  }

  private static Map<String, Long> byReason(List<JsonObject> closes) {
    Map<String, Long> reasons = new HashMap<>();
    closes.forEach(c -> reasons.merge(c.getString("reason"), 1L, Long::sum));
    return reasons;
  }
}

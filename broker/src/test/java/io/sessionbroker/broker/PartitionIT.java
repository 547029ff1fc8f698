package io.sessionbroker.broker;

import static io.sessionbroker.broker.EventRecorder.on;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies a real network partition from cut to heal: three nodes, each in a network namespace of
 * its own ({@link NetworkNamespaces}), and node C's cluster link taken down while its devices still
 * reach it, as docs/cluster.md "Split brain" describes. The majority announces each of C's sessions
 * NODE_LOST exactly once; C, below quorum, announces nothing, refuses new devices and, after
 * failure detection, ends its device connections; once the link is back the cluster is whole again
 * by itself, every device is listed once, the directory names the sessions the tables hold, and no
 * session is ever closed twice. DESIGN.md §3 invariants 1 and 2 (at most one live session per
 * device; exactly one close per session).
 *
 * <p>The event contract watches the majority (node A) and the cut-off node (C) at once. Needs root
 * and iproute2; skipped with a message elsewhere.
 */
@Timeout(300)
class PartitionIT {

  private static final Duration WAIT = ThreeNodes.WAIT;
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;

  /**
   * How long after the heal the cluster must be whole again: docs/cluster.md promises one merge
   * period (5 s) after the probes find the other half; the rest is slack for a loaded 2-core host.
   */
  private static final Duration MERGE_BOUND = Duration.ofSeconds(30);

  @Test
  @ExpectCloses({CloseReason.NODE_LOST, CloseReason.TAKEN_OVER})
  void aCutOffNodeIsAnnouncedLostOnceEndsItsDevicesAndMergesBackAfterTheHeal() throws Exception {
    List<TcpDevice> onC = new ArrayList<>();
    List<AutoCloseable> sockets = new ArrayList<>();
    try (NetworkNamespaces net = NetworkNamespaces.create();
        ThreeNodes cluster = ThreeNodes.start("partition-it", net);
        EventRecorder onA =
            new EventRecorder(cluster.bridge(A), Addresses.OPENED, Addresses.CLOSED);
        ClusterContract contract = cluster.contract(A, C)) {
      // given: three sessions on A, two on B, four on C
      open(cluster, A, "pt-a-", 3, sockets);
      open(cluster, B, "pt-b-", 2, sockets);
      onC.addAll(open(cluster, C, "pt-c-", 4, sockets));
      for (int i = 0; i < 4; i++) {
        onA.await(on(Addresses.OPENED, "pt-c-" + i), 1, WAIT);
      }

      // when: C's cluster link goes down (its devices still reach it)
      long cutAt = System.nanoTime();
      net.cut(C);

      // then: the majority announces C's four sessions NODE_LOST
      List<EventRecorder.Event> lost =
          onA.await(
              e -> e.address().equals(Addresses.CLOSED) && e.deviceId().startsWith("pt-c-"),
              4,
              Duration.ofSeconds(60));
      System.out.printf("partition_it node_lost_after_cut_ms=%d%n", msSince(cutAt, lost.get(3)));
      // C finds itself cut off, refuses a new device, and after failure detection ends the four
      cluster.nodes[C].awaitLog(Pattern.compile("node_cut_off "), Duration.ofSeconds(60));
      try (TcpDevice refused = cluster.tcp(C)) {
        assertThat(cluster.hello(refused, "pt-refused", 300).getString("type"))
            .as("a cut-off node refuses new sessions")
            .isEqualTo("error");
      }
      for (TcpDevice device : onC) {
        assertThat(device.closedByBroker(Duration.ofSeconds(60)))
            .as("C ends a session the cluster counted lost")
            .isTrue();
      }
      long endedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
      System.out.printf("partition_it devices_ended_after_cut_ms=%d%n", endedMs);
      assertThat(endedMs)
          .as("C ends its devices only after failure detection")
          .isGreaterThanOrEqualTo(ThreeNodes.SHIPPED_FAILURE_DETECTION.toMillis());
      cluster.nodes[C].awaitLog(
          Pattern.compile("node_cut_off_sessions_ended count=4"), Duration.ofSeconds(10));
      // a device of C reconnects to the majority meanwhile
      TcpDevice moved = cluster.tcp(A);
      sockets.add(moved);
      assertThat(cluster.hello(moved, "pt-c-0", 300).getString("type")).isEqualTo("welcome");

      // and when the link comes back
      long healAt = System.nanoTime();
      net.heal(C);

      // then the cluster is whole again by itself
      cluster.nodes[C].awaitLog(Pattern.compile("node_rejoined how="), MERGE_BOUND);
      cluster.awaitMembers(3);
      long mergedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healAt);
      System.out.printf("partition_it whole_after_heal_ms=%d%n", mergedMs);
      assertThat(mergedMs).isLessThanOrEqualTo(MERGE_BOUND.toMillis());
      contract.settle();
      for (int i = 0; i < 4; i++) {
        assertThat(onA.matching(on(Addresses.CLOSED, "pt-c-" + i)))
            .as("pt-c-" + i + ": one close, the majority's")
            .singleElement()
            .satisfies(e -> assertThat(e.body().getString("reason")).isEqualTo("NODE_LOST"));
      }
      assertThat(onA.matching(e -> e.address().equals(Addresses.CLOSED)))
          .as("no close but C's four")
          .hasSize(4);
      // every table together: one session per device, none on C
      JsonObject count = cluster.admin.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT);
      assertThat(count.getInteger("total")).isEqualTo(6);
      assertThat(count.getJsonObject("byNode").getInteger(cluster.nodeId(C))).isZero();
      JsonArray listed =
          cluster
              .admin
              .request(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1000), WAIT)
              .getJsonArray("sessions");
      assertThat(listed.stream().map(s -> ((JsonObject) s).getString("deviceId")))
          .containsExactlyInAnyOrder("pt-a-0", "pt-a-1", "pt-a-2", "pt-b-0", "pt-b-1", "pt-c-0");
      // and the directory names what the tables hold: a takeover on C closes A's session of
      // pt-c-0 once; a device whose session C lost opens on B without any close
      TcpDevice back = cluster.tcp(C);
      sockets.add(back);
      assertThat(cluster.hello(back, "pt-c-0", 300).getString("type")).isEqualTo("welcome");
      assertThat(moved.closedByBroker(WAIT)).as("A's pt-c-0 taken over").isTrue();
      TcpDevice again = cluster.tcp(B);
      sockets.add(again);
      assertThat(cluster.hello(again, "pt-c-1", 300).getString("type")).isEqualTo("welcome");
      onA.await(on(Addresses.OPENED, "pt-c-1"), 2, WAIT);
      contract.settle();
      assertThat(onA.matching(on(Addresses.CLOSED, "pt-c-0")))
          .extracting(e -> e.body().getString("reason"))
          .containsExactly("NODE_LOST", "TAKEN_OVER");
      assertThat(onA.matching(on(Addresses.CLOSED, "pt-c-1"))).hasSize(1);

      // and stopping every node closes the live sessions with SHUTDOWN, nothing twice
      cluster.stopAndFinish(contract);
    } finally {
      for (AutoCloseable socket : sockets) {
        socket.close();
      }
    }
  }

  private static List<TcpDevice> open(
      ThreeNodes cluster, int node, String prefix, int count, List<AutoCloseable> sockets)
      throws Exception {
    List<TcpDevice> opened = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TcpDevice device = cluster.tcp(node);
      sockets.add(device);
      opened.add(device);
      assertThat(cluster.hello(device, prefix + i, 300).getString("type")).isEqualTo("welcome");
    }
    return opened;
  }

  private static long msSince(long startNanos, EventRecorder.Event event) {
    return TimeUnit.NANOSECONDS.toMillis(event.receivedNanos() - startNanos);
  }
}

package io.sessionbroker.broker;

import static io.sessionbroker.broker.EventRecorder.on;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies a split brain from start to end, by freezing node C (SIGSTOP) longer than failure
 * detection and resuming it (SIGCONT), as docs/cluster.md "Split brain" describes: the majority
 * announces each of C's sessions NODE_LOST exactly once; C, which wakes up below quorum, announces
 * nothing; the halves merge back by themselves; C ends the sessions the cluster counted lost
 * without a second close; and stopping every node afterwards adds one SHUTDOWN per live session,
 * nothing for C's lost ones. DESIGN.md §3 invariants 1 and 2 (at most one live session per device;
 * exactly one close per session).
 *
 * <p>The event contract watches the majority (node A) and the frozen node (C) at once, as a
 * consumer subscribed to both halves would, and must find no violation at all.
 */
@Timeout(300)
class SplitBrainIT {

  private static final Duration WAIT = ThreeNodes.WAIT;
  private static final Pattern REJOINED = Pattern.compile("node_rejoined how=");

  /**
   * Twice the shipped 5 s: what this test checks is the merge, not how soon a loss is noticed
   * (NodeLossTimeIT, PartitionIT and ChaosIT run the shipped 5 s). With 5 s, one of the two
   * survivors that stalled for 6 s after the freeze on this 2-core machine (once in 20 runs with a
   * busy process beside the test, once in a clean-clone run of the suite) split the majority before
   * it announced anything; each half, below quorum, withheld its closes and ended its own sessions,
   * as designed (docs/testing.md, "twenty-fourth round").
   */
  private static final Duration FAILURE_DETECTION = Duration.ofSeconds(10);

  @Test
  @ExpectCloses(CloseReason.NODE_LOST)
  void aFrozenNodeIsAnnouncedLostOnceMergesBackAndClosesNothingTwice() throws Exception {
    List<TcpDevice> onC = new ArrayList<>();
    List<AutoCloseable> sockets = new ArrayList<>();
    try (ThreeNodes cluster =
            ThreeNodes.start("split-brain-it", ThreeNodes.JVM, FAILURE_DETECTION);
        EventRecorder onA =
            new EventRecorder(cluster.bridgePort(0), Addresses.OPENED, Addresses.CLOSED);
        ClusterContract contract = cluster.contract(0, 2)) {
      // given: three sessions on A, four on C
      for (int i = 0; i < 3; i++) {
        TcpDevice device = cluster.tcp(0);
        sockets.add(device);
        device.hello("sb-a-" + i, 300);
      }
      for (int i = 0; i < 4; i++) {
        TcpDevice device = cluster.tcp(2);
        sockets.add(device);
        onC.add(device);
        device.hello("sb-c-" + i, 300);
      }
      for (int i = 0; i < 4; i++) {
        onA.await(on(Addresses.OPENED, "sb-c-" + i), 1, WAIT);
      }

      // when: C freezes past failure detection; meanwhile one of its devices reconnects to A
      long frozenAt = System.nanoTime();
      cluster.nodes[2].freeze();
      List<EventRecorder.Event> lost =
          onA.await(
              e -> e.address().equals(Addresses.CLOSED) && e.deviceId().startsWith("sb-c-"),
              4,
              Duration.ofSeconds(40));
      System.out.printf(
          "split_brain_it node_lost_after_freeze_ms=%d%n",
          TimeUnit.NANOSECONDS.toMillis(lost.get(3).receivedNanos() - frozenAt));
      TcpDevice moved = cluster.tcp(0);
      sockets.add(moved);
      moved.hello("sb-c-0", 300);
      onA.await(on(Addresses.OPENED, "sb-c-0"), 2, WAIT);
      long resumedAt = System.nanoTime();
      cluster.nodes[2].resume();

      // then: C finds itself below quorum, then merges back into the majority by itself and ends
      // the four sessions the cluster counted lost, without announcing them again
      cluster.nodes[2].awaitLog(Pattern.compile("node_cut_off"), Duration.ofSeconds(30));
      cluster.nodes[2].awaitLog(REJOINED, Duration.ofSeconds(60));
      cluster.awaitMembers(3);
      System.out.printf(
          "split_brain_it merged_after_resume_ms=%d%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt));
      for (TcpDevice device : onC) {
        assertThat(device.closedByBroker(Duration.ofSeconds(30)))
            .as("C ends a session the cluster lost")
            .isTrue();
      }
      contract.settle();
      for (int i = 0; i < 4; i++) {
        assertThat(onA.matching(on(Addresses.CLOSED, "sb-c-" + i)))
            .as("sb-c-" + i)
            .singleElement()
            .satisfies(e -> assertThat(e.body().getString("reason")).isEqualTo("NODE_LOST"));
      }
      for (int i = 0; i < 3; i++) {
        assertThat(onA.matching(on(Addresses.CLOSED, "sb-a-" + i))).as("sb-a-" + i).isEmpty();
      }
      // one live session per device, the whole cluster answering: A's three and sb-c-0 on A
      JsonObject count = cluster.admin.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT);
      assertThat(count.getJsonObject("byNode").fieldNames()).contains(cluster.nodeId(2));
      assertThat(count.getInteger("total")).isEqualTo(4);
      assertThat(count.getJsonObject("byNode").getInteger(cluster.nodeId(2))).isZero();

      // and stopping every node closes the four live sessions with SHUTDOWN, nothing twice
      cluster.stopAndFinish(contract);
    } finally {
      for (AutoCloseable socket : sockets) {
        socket.close();
      }
    }
  }
}

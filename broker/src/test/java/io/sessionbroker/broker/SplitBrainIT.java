package io.sessionbroker.broker;

import static io.sessionbroker.broker.EventRecorder.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Verifies the first half of a split brain, by freezing node C (SIGSTOP) longer than failure
 * detection and resuming it (SIGCONT): the majority announces each of C's sessions NODE_LOST
 * exactly once, and C, which wakes up below quorum, announces nothing about the majority's
 * sessions. (What happens after — the merge — is described in docs/cluster.md: in our runs the
 * halves did not merge within a minute.)
 *
 * <p>A chaos test, run on demand ({@code -Dchaos=true}), not in the default suite: on a loaded
 * 2-core machine the majority's Hazelcast operations on the frozen member's partitions once stalled
 * past the test's wait, which makes it unfit as a gate until that is understood. See
 * docs/cluster.md.
 *
 * <p>The event contract watches the majority (node A) and the frozen node (C) at once, as a
 * consumer subscribed to both halves would. The test ends with the operator's documented remedy, a
 * graceful restart of the cut-off node, whose SHUTDOWN closes are second closes of the sessions the
 * majority announced NODE_LOST: the known violation of issue #16, which the test requires to be
 * exactly that (and fails, once #16 is mended, to be updated). See {@link
 * #assertOnlyKnownDoubleCloses}.
 */
@Timeout(240)
@EnabledIfSystemProperty(named = "chaos", matches = "true")
class SplitBrainIT {

  private static final Duration WAIT = ThreeNodes.WAIT;

  @Test
  @ExpectCloses(CloseReason.NODE_LOST)
  void aFrozenNodeIsAnnouncedLostOnceByTheMajorityAndStaysQuietWhenItWakesBelowQuorum()
      throws Exception {
    List<AutoCloseable> sockets = new ArrayList<>();
    try (ThreeNodes cluster = ThreeNodes.start("split-brain-it");
        EventRecorder onA =
            new EventRecorder(cluster.bridgePort(0), Addresses.OPENED, Addresses.CLOSED);
        EventRecorder onC =
            new EventRecorder(cluster.bridgePort(2), Addresses.OPENED, Addresses.CLOSED);
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
      cluster.nodes[2].resume();
      // C wakes up and finds itself alone, below quorum: it fences itself (and says so)
      cluster.nodes[2].awaitLog(Pattern.compile("node_cut_off"), Duration.ofSeconds(30));

      // then: exactly one NODE_LOST per session of C, from the majority; nothing for A's sessions,
      // neither
      // from the majority nor from C, which is below quorum and stays quiet
      System.out.println(
          "split_brain_it events_on_C="
              + onC.matching(e -> true).stream()
                  .map(e -> e.address() + " " + e.deviceId() + " " + e.body().getString("reason"))
                  .toList());
      for (int i = 0; i < 4; i++) {
        assertThat(onA.matching(on(Addresses.CLOSED, "sb-c-" + i)))
            .as("sb-c-" + i)
            .hasSize(1)
            .allMatch(e -> e.body().getString("reason").equals("NODE_LOST"));
      }
      for (int i = 0; i < 3; i++) {
        assertThat(onA.matching(on(Addresses.CLOSED, "sb-a-" + i))).as("sb-a-" + i).isEmpty();
        assertThat(onC.matching(on(Addresses.CLOSED, "sb-a-" + i)))
            .as("sb-a-" + i + " on C")
            .isEmpty();
      }
      JsonObject count = cluster.admin.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT);
      assertThat(count.getJsonObject("byNode").fieldNames()).doesNotContain(cluster.nodeId(2));
      assertThat(count.getInteger("total")).isEqualTo(4);

      // and the operator's remedy, a graceful stop of the cut-off node (then of the others), closes
      // C's sessions
      // a second time: the contract finds exactly that and nothing else
      Throwable broken = catchThrowable(() -> cluster.stopAndFinish(contract));
      assertOnlyKnownDoubleCloses(broken, cluster.nodeId(2));
    } finally {
      for (AutoCloseable socket : sockets) {
        socket.close();
      }
    }
  }

  private static final Pattern DOUBLE_CLOSE =
      Pattern.compile(
          "\\[[^]]+] session \\S+ \\((sb-c-\\d)\\) closed 2 times; this close: (\\{.*})");
  private static final Pattern SEQ_RESTARTED =
      Pattern.compile(
          "seq went backwards on node (\\S+): \\d+ after \\d+ \\(sessions\\.closed (\\{.*})\\)");

  /**
   * The known violations of issue #16 (docs/cluster.md, "What then happens on the cut-off node"):
   * each of C's four sessions, announced NODE_LOST by the majority, is closed again with SHUTDOWN
   * by C's graceful stop; and C, if it held no replica of the event log, numbers those closes in a
   * log of its own from 0 again (seq going backwards, once). Fails on any other violation, and on
   * none: once #16 is mended, this check goes.
   */
  private static void assertOnlyKnownDoubleCloses(Throwable broken, String cutOffNode) {
    assertThat(broken)
        .as("the known double closes of #16 (mended? then drop this check)")
        .isInstanceOf(AssertionError.class);
    List<String> violations = broken.getMessage().lines().skip(1).map(String::strip).toList();
    Set<String> devices = new TreeSet<>();
    List<String> unknown = new ArrayList<>();
    int restarts = 0;
    for (String violation : violations) {
      Matcher doubleClose = DOUBLE_CLOSE.matcher(violation);
      Matcher restarted = SEQ_RESTARTED.matcher(violation);
      if (doubleClose.matches() && isShutdownOn(cutOffNode, doubleClose.group(2))) {
        devices.add(doubleClose.group(1));
      } else if (restarted.matches()
          && restarted.group(1).equals(cutOffNode)
          && isShutdownOn(cutOffNode, restarted.group(2))) {
        restarts++;
      } else {
        unknown.add(violation);
      }
    }
    assertThat(unknown)
        .as("violations other than #16's known ones, among: %s", violations)
        .isEmpty();
    assertThat(devices)
        .as(String.join("\n", violations))
        .containsExactly("sb-c-0", "sb-c-1", "sb-c-2", "sb-c-3");
    assertThat(violations).hasSize(4 + restarts);
    assertThat(restarts).isLessThanOrEqualTo(1);
    System.out.println(
        "split_brain_it known_violations="
            + violations.size()
            + "\n  "
            + String.join("\n  ", violations));
  }

  private static boolean isShutdownOn(String node, String close) {
    JsonObject body = new JsonObject(close);
    return body.getString("reason").equals("SHUTDOWN")
        && body.getString("node").equals(node)
        && body.getString("deviceId").startsWith("sb-c-");
  }
}

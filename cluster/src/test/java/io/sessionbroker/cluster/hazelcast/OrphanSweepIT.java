package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.Fence;
import io.sessionbroker.cluster.SessionIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies when the orphan sweep ({@link OrphanSweep}) announces the sessions of nodes that are not
 * members: only with a quorum around it and not cut off. A node alone in its half sees every other
 * node as absent: a sweep there released the entries of the majority's live sessions in its own
 * copy of the directory (released entries win a merge at the same epoch, {@link
 * NewerEntryMergePolicy}) and announced them {@code NODE_LOST} — seed 101 of the long chaos run
 * logged {@code orphans_announced sessions=6719 members=1} on a node that had just been cut off
 * (docs/benchmarks.md, "Long chaos runs (issue 16, sixth round)"). DESIGN.md §3 invariant 2: every
 * opened session gets exactly one closed event.
 *
 * <p>One real Hazelcast member in this JVM, the sweeping node; a second node is named by a
 * directory entry only, as a node on the other side of a split is.
 */
@Timeout(120)
class OrphanSweepIT {

  private static final String OTHER_NODE = "node-of-the-other-half";

  private final Members members = new Members();
  private Vertx vertx;
  private HazelcastInstance a;
  private HazelcastDirectory directory;
  private EventLog log;
  private EventPipeline pipeline;
  private final Fence fence = new Fence();

  @BeforeEach
  void startOneMember() {
    a = members.start(1).get(0);
    vertx = Vertx.vertx();
    directory = new HazelcastDirectory(a);
    log = new RingbufferEventLog(a);
    pipeline = new EventPipeline(vertx.eventBus(), log);
  }

  @AfterEach
  void stop() {
    members.close();
    vertx.close();
  }

  /**
   * Verifies that a node alone, with quorum 2, neither releases nor announces another's session.
   */
  @Test
  void aNodeBelowQuorumSweepsNothing() throws Exception {
    // given: an entry of a node this one does not see, from a cluster of one with quorum 2
    await(directory.claim("sweep-below-quorum", 41L, OTHER_NODE));

    // when
    int announced = await(sweep(2).run());

    // then
    assertThat(announced).isZero();
    assertThat(await(directory.holder("sweep-below-quorum")).nodeId()).isEqualTo(OTHER_NODE);
    assertThat(closes()).isEmpty();
  }

  /** Verifies that a cut-off node sweeps nothing, even where its member count meets the quorum. */
  @Test
  void aCutOffNodeSweepsNothing() throws Exception {
    // given
    await(directory.claim("sweep-cut-off", 42L, OTHER_NODE));
    fence.cutOff();

    // when
    int announced = await(sweep(1).run());

    // then
    assertThat(announced).isZero();
    assertThat(await(directory.holder("sweep-cut-off")).nodeId()).isEqualTo(OTHER_NODE);
    assertThat(closes()).isEmpty();
  }

  /**
   * Verifies that a node with its quorum releases an absent node's session and announces it once.
   */
  @Test
  void aNodeWithItsQuorumAnnouncesAnAbsentNodesSessionOnce() throws Exception {
    // given
    await(directory.claim("sweep-quorum", 43L, OTHER_NODE));

    // when
    int announced = await(sweep(1).run());
    int again = await(sweep(1).run());

    // then
    assertThat(announced).isEqualTo(1);
    assertThat(again).isZero();
    assertThat(await(directory.holder("sweep-quorum"))).isNull();
    assertThat(closes())
        .singleElement()
        .satisfies(c -> assertThat(c.getString("sessionId")).isEqualTo(SessionIds.format(43L)))
        .satisfies(c -> assertThat(c.getString("reason")).isEqualTo("NODE_LOST"));
  }

  private OrphanSweep sweep(int quorum) {
    return new OrphanSweep(
        vertx,
        directory,
        pipeline,
        Clock.monotonic(),
        "node-a",
        () -> a.getCluster().getMembers(),
        fence,
        quorum);
  }

  /** Every close in the event log, once the pipeline has logged what it was handed. */
  private List<JsonObject> closes() throws Exception {
    await(pipeline.appended());
    List<JsonObject> closes = new ArrayList<>();
    JsonArray events = await(log.read(0, 1_000)).getJsonArray("events");
    for (int i = 0; i < events.size(); i++) {
      JsonObject event = events.getJsonObject(i);
      if (Addresses.CLOSED.equals(event.getString("address"))) {
        closes.add(event.getJsonObject("body"));
      }
    }
    return closes;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}

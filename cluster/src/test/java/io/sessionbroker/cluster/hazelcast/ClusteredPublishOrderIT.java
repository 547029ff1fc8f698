package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.EventPipeline;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the events one node publishes reach a subscriber on another node in {@code seq}
 * order, when they are handed to the pipeline from many threads that are not Vert.x threads (as a
 * node loss does: the release completes on a Hazelcast thread) and each batch is published from the
 * Hazelcast thread that completed its ringbuffer append: two clustered Vert.x instances, the real
 * ringbuffer event log, 20,000 events in bursts.
 *
 * <p>This is the hypothesis of issue 16 (a clustered publish from outside a Vert.x context leaving
 * through different event loops and overtaking); this test refutes it for Vert.x 5.1: a remote
 * publish is written to the one connection to the receiving node through its ordered outbound
 * queue, whatever thread calls it.
 */
@Timeout(120)
class ClusteredPublishOrderIT {

  private static final String ADDRESS = "test.order";
  private static final int EVENTS = 20_000;
  private static final Members members = new Members();
  private static Vertx sender;
  private static Vertx receiver;
  private static HazelcastClusterManager senderManager;

  @BeforeAll
  static void startTwoClusteredNodes() throws Exception {
    senderManager = new HazelcastClusterManager(members.config());
    sender = clustered(senderManager);
    receiver = clustered(new HazelcastClusterManager(members.config()));
  }

  private static Vertx clustered(HazelcastClusterManager manager) throws Exception {
    Vertx vertx =
        Vertx.builder()
            .with(
                new io.vertx.core.VertxOptions()
                    .setEventBusOptions(
                        new io.vertx.core.eventbus.EventBusOptions()
                            .setHost("127.0.0.1")
                            .setPort(0)))
            .withClusterManager(manager)
            .buildClustered()
            .await(60, TimeUnit.SECONDS);
    members.track(manager.getHazelcastInstance());
    return vertx;
  }

  @AfterAll
  static void stop() throws Exception {
    for (Vertx vertx : new Vertx[] {sender, receiver}) {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    }
    members.close();
  }

  @Test
  void eventsHandedInFromManyPlainThreadsArriveOnAnotherNodeInSeqOrder() throws Exception {
    // given: a subscriber on the receiving node, registered cluster-wide
    List<Long> received = new ArrayList<>();
    CountDownLatch all = new CountDownLatch(EVENTS);
    receiver
        .eventBus()
        .<JsonObject>consumer(
            ADDRESS,
            m -> {
              synchronized (received) {
                received.add(m.body().getLong("seq"));
              }
              all.countDown();
            })
        .completion()
        .await(30, TimeUnit.SECONDS);
    // (completion: the registration is in the cluster's subscription map, where the sender looks)
    EventPipeline pipeline =
        new EventPipeline(
            sender.eventBus(), new RingbufferEventLog(senderManager.getHazelcastInstance()));

    // when: four plain threads hand in 20,000 events in bursts of 50, as fast as they can
    ExecutorService threads = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      threads.execute(
          () -> {
            for (int i = 0; i < EVENTS / 4; i++) {
              pipeline.publish(ADDRESS, new JsonObject().put("i", i));
              if (i % 50 == 0) {
                Thread.yield();
              }
            }
          });
    }
    threads.shutdown();

    // then: every event arrives, numbered without a gap, in seq order
    assertThat(all.await(90, TimeUnit.SECONDS)).as("all events delivered").isTrue();
    synchronized (received) {
      assertThat(received).hasSize(EVENTS).doesNotContainNull().isSorted();
      assertThat(received.get(EVENTS - 1) - received.get(0)).isEqualTo(EVENTS - 1);
    }
  }
}

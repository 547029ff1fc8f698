package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.hazelcast.ClusterNode;
import io.sessionbroker.transports.mqtt.ClusterRouter;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the consumer through which an MQTT router publishes a lost node's wills ({@link
 * ClusterRouter}) is node-local, since only a close its own node announced can carry a will for it.
 * Registered cluster-wide, it had every node's closes sent to every node, to be decoded there and
 * dropped: at a node loss, the thousands of closes one survivor announced crossed to the other
 * (issue 16, "Node loss at scale"). Two clustered Vert.x instances in this JVM, over the shipped
 * conf/cluster.xml.
 */
@Timeout(120)
class LostWillConsumerIT {

  private final String clusterName = "lost-will-" + UUID.randomUUID();
  private Vertx nodeA;
  private Vertx nodeB;

  @AfterEach
  void stop() throws Exception {
    for (Vertx vertx : new Vertx[] {nodeA, nodeB}) {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Verifies that a close announced on one node crosses to another node only for that node's own
   * subscribers, while the will it carries still reaches every node.
   */
  @Test
  void aCloseAnnouncedOnOneNodeDoesNotCrossToANodeWithoutSubscribers() throws Exception {
    // given two clustered nodes, each with its MQTT router; node B's router and a watcher of the
    // routers' cluster-wide address share one context, so B handles what A sends in A's order
    nodeA = clustered();
    nodeB = clustered();
    List<String> deliveredOnB = new CopyOnWriteArrayList<>();
    nodeB
        .eventBus()
        .addInboundInterceptor(
            delivery -> {
              deliveredOnB.add(delivery.message().address());
              delivery.next();
            });
    Promise<JsonObject> willOnB = Promise.promise();
    Context contextB = nodeB.getOrCreateContext();
    Promise<Void> startedB = Promise.promise();
    contextB.runOnContext(
        v ->
            new ClusterRouter(nodeB.eventBus(), "node-b")
                .start()
                .compose(
                    started ->
                        nodeB
                            .eventBus()
                            .<JsonObject>consumer(
                                ClusterRouter.ADDRESS, m -> willOnB.tryComplete(m.body()))
                            .completion())
                .onComplete(startedB));
    startedB.future().await(30, TimeUnit.SECONDS);
    Promise<Void> startedA = Promise.promise();
    nodeA
        .getOrCreateContext()
        .runOnContext(
            v -> new ClusterRouter(nodeA.eventBus(), "node-a").start().onComplete(startedA));
    startedA.future().await(30, TimeUnit.SECONDS);

    // when node A announces the NODE_LOST close of a session that carries a will
    nodeA
        .eventBus()
        .publish(
            Addresses.CLOSED,
            new JsonObject()
                .put("deviceId", "lost-will-device")
                .put(CloseEvent.REASON, CloseReason.NODE_LOST.name())
                .put(CloseEvent.ANNOUNCED_BY, "node-a")
                .put(
                    CloseEvent.WILL,
                    new JsonObject()
                        .put("topic", "wills/lost-will-device")
                        .put("payloadBase64", "Ynll")
                        .put("qos", 0)));

    // then A's router publishes the will, which reaches B; A wrote the close, had it gone to B,
    // on the same connection before the will, so B would have handled it first
    assertThat(willOnB.future().await(30, TimeUnit.SECONDS).getString("topic"))
        .isEqualTo("wills/lost-will-device");
    // and the close itself never crossed to B, where nobody subscribes to it
    assertThat(deliveredOnB).contains(ClusterRouter.ADDRESS).doesNotContain(Addresses.CLOSED);
  }

  private Vertx clustered() throws Exception {
    return ClusterNode.create(Path.of("..", "conf", "cluster.xml"), 1, clusterName)
        .vertx(new VertxOptions(), null, "127.0.0.1")
        .await(60, TimeUnit.SECONDS);
  }
}

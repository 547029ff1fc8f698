package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verifies routing between nodes: two routers with different node ids share one event bus, as two
 * clustered nodes share the cluster-wide bus.
 *
 * <p>Both routers, their event bus consumers and every publish run on one event-loop context, so
 * everything a publish sets off (local deliveries, bus deliveries to either node) is queued before
 * the next publish runs: a later message that has arrived is a barrier behind which any duplicate
 * of an earlier one would have arrived too.
 */
@ExtendWith(VertxExtension.class)
@Timeout(30)
class ClusterRouterTest {

  private Vertx vertx;

  /** The one context of both nodes; see the class comment. */
  private Context context;

  private ClusterRouter nodeA;
  private ClusterRouter nodeB;
  private final List<String> deliveredOnA = new CopyOnWriteArrayList<>();
  private final List<String> deliveredOnB = new CopyOnWriteArrayList<>();

  /** Both nodes on the extension's Vert.x, which closes it after each test. */
  @BeforeEach
  void startTwoNodes(Vertx vertx) throws Exception {
    this.vertx = vertx;
    context = vertx.getOrCreateContext();
    nodeA = start("node-a", deliveredOnA);
    nodeB = start("node-b", deliveredOnB);
  }

  @Test
  void aPublishReachesSubscribersOnEveryNodeOnceEach() throws Exception {
    // when a device on node A publishes
    onContext(
        () ->
            nodeA.publish(
                "sensors/1/temp",
                Buffer.buffer("21.5"),
                MqttQoS.AT_LEAST_ONCE,
                MqttProperties.NO_PROPERTIES));

    // then the subscribers on A and on B each get it, and only once: a second publish from A, once
    // it has
    // reached B, comes after any second delivery of the first on either node
    awaitSize(deliveredOnB, 1);
    onContext(
        () ->
            nodeA.publish(
                "sensors/barrier",
                Buffer.buffer("last"),
                MqttQoS.AT_LEAST_ONCE,
                MqttProperties.NO_PROPERTIES));
    awaitSize(deliveredOnB, 2);
    onContext(
        () -> {}); // and A's own bus delivery of the barrier, if it wrongly took it, has run too
    assertThat(deliveredOnA).containsExactly("sensors/1/temp=21.5", "sensors/barrier=last");
    assertThat(deliveredOnB).containsExactly("sensors/1/temp=21.5", "sensors/barrier=last");
  }

  @Test
  void theAnnouncerOfANodeLostClosePublishesItsWillToEveryNode() throws Exception {
    JsonObject closed =
        new JsonObject()
            .put("reason", "NODE_LOST")
            .put("announcedBy", "node-b")
            .put(
                "will",
                new JsonObject()
                    .put("topic", "sensors/9/status")
                    .put("qos", 1)
                    .put(
                        "payloadBase64",
                        java.util.Base64.getEncoder().encodeToString("offline".getBytes())));

    vertx.eventBus().publish("sessions.closed", closed);
    // and then a close that node A announced: A sends its will after any copy of the first one it
    // might
    // (wrongly) have sent, so once A's will is in, such a copy would be too
    JsonObject byA =
        new JsonObject()
            .put("reason", "NODE_LOST")
            .put("announcedBy", "node-a")
            .put(
                "will",
                new JsonObject()
                    .put("topic", "sensors/10/status")
                    .put("qos", 1)
                    .put(
                        "payloadBase64",
                        java.util.Base64.getEncoder().encodeToString("gone".getBytes())));
    vertx.eventBus().publish("sessions.closed", byA);

    for (List<String> delivered : List.of(deliveredOnA, deliveredOnB)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  delivered.contains("sensors/9/status=offline")
                      && delivered.contains("sensors/10/status=gone"));
      assertThat(delivered)
          .containsExactlyInAnyOrder("sensors/9/status=offline", "sensors/10/status=gone");
    }
  }

  /**
   * Verifies that the will a survivor publishes for a lost node's session keeps the properties the
   * close event carries (§3.1.3.2, user properties in order: [MQTT-3.1.3-10]), on every node.
   */
  @Test
  void aLostNodesWillGoesOutWithItsProperties() throws Exception {
    // given the close event of a session whose will has properties, as its node announced it
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.UserProperty("site", "north"));
    properties.add(new MqttProperties.UserProperty("site", "south"));
    properties.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, "text/plain"));
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.WILL_DELAY_INTERVAL, 5));
    JsonObject will =
        Wills.toJson(
            new io.vertx.mqtt.MqttWill(
                true, "sensors/11/status", Buffer.buffer("lost"), 1, false, properties));
    JsonObject closed =
        new JsonObject().put("reason", "NODE_LOST").put("announcedBy", "node-b").put("will", will);

    // when node B announces that close
    vertx.eventBus().publish("sessions.closed", closed);

    // then both nodes' subscribers get the will with its message properties, not the delay
    String expected =
        "sensors/11/status=lost {\"contentType\":\"text/plain\",\"userProperties\":"
            + "[{\"name\":\"site\",\"value\":\"north\"},{\"name\":\"site\",\"value\":\"south\"}]}";
    for (List<String> delivered : List.of(deliveredOnA, deliveredOnB)) {
      awaitSize(delivered, 1);
      assertThat(delivered).containsExactly(expected);
    }
  }

  /** "" for a message without properties, else a space and their JSON form. */
  private static String describe(MqttProperties properties) {
    JsonObject json = MessageProperties.toJson(properties);
    return json == null ? "" : " " + json.encode();
  }

  private ClusterRouter start(String nodeId, List<String> delivered) throws Exception {
    ClusterRouter router = new ClusterRouter(vertx.eventBus(), nodeId);
    java.util.concurrent.CompletableFuture<Void> started =
        new java.util.concurrent.CompletableFuture<>();
    context.runOnContext(
        v -> {
          router.subscribe(
              (topic, payload, qos, properties) ->
                  delivered.add(topic + "=" + payload + describe(properties)),
              "sensors/#",
              MqttQoS.AT_LEAST_ONCE);
          router.start().onComplete(done -> started.complete(null));
        });
    started.get(10, TimeUnit.SECONDS);
    return router;
  }

  /** Runs {@code action} on the nodes' context and returns once it has run. */
  private void onContext(Runnable action) throws Exception {
    java.util.concurrent.CompletableFuture<Void> done =
        new java.util.concurrent.CompletableFuture<>();
    context.runOnContext(
        v -> {
          action.run();
          done.complete(null);
        });
    done.get(10, TimeUnit.SECONDS);
  }

  private static void awaitSize(List<String> list, int size) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> list.size() >= size);
  }
}

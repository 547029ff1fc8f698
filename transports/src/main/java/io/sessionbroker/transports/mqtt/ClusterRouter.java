package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;

/**
 * Routes MQTT publications between broker nodes: each node keeps its own subscribers in a {@link
 * LocalRouter} and publishes every message also on the cluster-wide address {@value #ADDRESS},
 * where the other nodes' routers deliver it to theirs. A message crosses the bus as JSON: {@code
 * origin}, {@code topic}, {@code payload} (base64), {@code qos} and, when it has any, {@code
 * properties} (the MQTT 5 properties that travel with it, in {@link MessageProperties}' form).
 *
 * <p>It also publishes the wills of sessions whose node died: the survivor that announced such a
 * session's {@code NODE_LOST} close (the event's {@code announcedBy}) hears it on its node-local
 * consumer and publishes the will it carries (with its properties), to every node, so a crashed
 * node's MQTT wills still go out exactly once. Any Will Delay Interval has already run out by then
 * as far as the device is concerned (its node is gone), so the will goes out at once.
 *
 * <p>Threading: the consumers are registered in {@link #start}, on the transport verticle's event
 * loop, and publish to the {@link LocalRouter} from there; it is safe from any thread, and each
 * delivery hops to its subscriber's own loop.
 */
public final class ClusterRouter implements MqttRouter {

  public static final String ADDRESS = "mqtt.publish";

  private final LocalRouter local = new LocalRouter();
  private final EventBus bus;
  private final String nodeId;

  public ClusterRouter(EventBus bus, String nodeId) {
    this.bus = bus;
    this.nodeId = nodeId;
  }

  @Override
  public Future<Void> start() {
    MessageConsumer<JsonObject> remote =
        bus.consumer(
            ADDRESS,
            message -> {
              JsonObject body = message.body();
              if (!nodeId.equals(body.getString("origin"))) {
                local.publish(
                    body.getString("topic"),
                    Buffer.buffer(Base64.getDecoder().decode(body.getString("payload"))),
                    MqttQoS.valueOf(body.getInteger("qos")),
                    MessageProperties.fromJson(body.getJsonObject("properties")));
              }
            });
    // Node-local: only a close this node announced can carry a will for it to publish, and a
    // cluster-wide consumer would have every node's closes sent to every node (a node loss's
    // thousands of closes crossed to the other survivor to be decoded and dropped: issue 16).
    MessageConsumer<JsonObject> lost =
        bus.localConsumer(Addresses.CLOSED, message -> publishLostWill(message.body()));
    return Future.all(List.of(remote.completion(), lost.completion())).mapEmpty();
  }

  private void publishLostWill(JsonObject closed) {
    JsonObject will = closed.getJsonObject(CloseEvent.WILL);
    if (will != null
        && CloseReason.NODE_LOST.name().equals(closed.getString(CloseEvent.REASON))
        && nodeId.equals(closed.getString(CloseEvent.ANNOUNCED_BY))
        && will.containsKey("payloadBase64")) {
      publish(
          will.getString("topic"),
          Buffer.buffer(Base64.getDecoder().decode(will.getString("payloadBase64"))),
          MqttQoS.valueOf(will.getInteger("qos", 0)),
          MessageProperties.fromJson(will.getJsonObject("properties")));
    }
  }

  @Override
  public void subscribe(Subscriber subscriber, String filter, MqttQoS qos) {
    local.subscribe(subscriber, filter, qos);
  }

  @Override
  public boolean unsubscribe(Subscriber subscriber, String filter) {
    return local.unsubscribe(subscriber, filter);
  }

  @Override
  public void unsubscribeAll(Subscriber subscriber) {
    local.unsubscribeAll(subscriber);
  }

  @Override
  public void publish(String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    local.publish(topic, payload, qos, properties);
    JsonObject message =
        new JsonObject()
            .put("origin", nodeId)
            .put("topic", topic)
            .put("payload", Base64.getEncoder().encodeToString(payload.getBytes()))
            .put("qos", qos.value());
    JsonObject forwarded = MessageProperties.toJson(properties);
    if (forwarded != null) {
      message.put("properties", forwarded);
    }
    bus.publish(ADDRESS, message);
  }
}

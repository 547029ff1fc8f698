package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;

/**
 * Routes MQTT publications to the subscribers whose topic filters match. Kept behind this small
 * interface so a clustered router (routing publishes between broker nodes) can replace the
 * in-memory {@link LocalRouter} without touching the connection code.
 *
 * <p>Threading: called from every event loop the MQTT transport listens from (each connection's
 * own), concurrently; an implementation is safe for that.
 */
public interface MqttRouter {

  /** A receiver of publications: one MQTT connection. */
  @FunctionalInterface
  interface Subscriber {
    /**
     * Delivers one message at the QoS already reduced to what the subscription granted, with the
     * MQTT 5 properties that travel with it ({@link MessageProperties}). Called on the publisher's
     * thread, any thread: the subscriber hands the write to its own event loop, in the order of the
     * calls.
     */
    void deliver(String topic, Buffer payload, MqttQoS qos, MqttProperties properties);
  }

  /**
   * Adds or replaces (§3.8.4: same filter replaces) the subscription of {@code subscriber} to
   * {@code filter}.
   */
  void subscribe(Subscriber subscriber, String filter, MqttQoS qos);

  /** Removes one subscription; true if it existed. */
  boolean unsubscribe(Subscriber subscriber, String filter);

  /** Removes every subscription of a subscriber whose connection ended. */
  void unsubscribeAll(Subscriber subscriber);

  /**
   * Publishes to every matching subscriber, once each (§3.3.5: overlapping filters deliver once,
   * max QoS), with {@code properties}: only those {@link MessageProperties#forwarded} keeps.
   */
  void publish(String topic, Buffer payload, MqttQoS qos, MqttProperties properties);

  /** Called once by the transport, on its verticle's event loop, before any other method. */
  default io.vertx.core.Future<Void> start() {
    return io.vertx.core.Future.succeededFuture();
  }
}

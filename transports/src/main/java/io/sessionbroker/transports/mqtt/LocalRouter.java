package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory router of one broker node: a map from subscriber to its filters, scanned on each
 * publish. A linear scan is fine for the fleets this broker targets (devices mostly publish, few
 * tools subscribe); a topic tree would replace it if subscriptions ever number in the tens of
 * thousands.
 *
 * <p>Threading: MQTT connections live on every event loop, so this is called from all of them. The
 * map is a {@link ConcurrentHashMap} whose values are immutable maps, replaced whole (a SUBSCRIBE
 * is rare, a publish is not): a publish reads a consistent set of filters per subscriber without a
 * lock and without copying the map, and a subscriber that leaves while a publish scans is either
 * delivered to (and drops what it gets: {@link ClientPubSub#deliver}) or skipped. Only a
 * subscriber's own connection changes its entry.
 */
public final class LocalRouter implements MqttRouter {

  private final Map<Subscriber, Map<String, MqttQoS>> subscriptions = new ConcurrentHashMap<>();

  @Override
  public void subscribe(Subscriber subscriber, String filter, MqttQoS qos) {
    subscriptions.compute(
        subscriber,
        (s, filters) -> {
          Map<String, MqttQoS> changed = filters == null ? new HashMap<>() : new HashMap<>(filters);
          changed.put(filter, qos);
          return Map.copyOf(changed);
        });
  }

  @Override
  public boolean unsubscribe(Subscriber subscriber, String filter) {
    boolean[] existed = new boolean[1];
    subscriptions.computeIfPresent(
        subscriber,
        (s, filters) -> {
          existed[0] = filters.containsKey(filter);
          if (!existed[0]) {
            return filters;
          }
          Map<String, MqttQoS> changed = new HashMap<>(filters);
          changed.remove(filter);
          return changed.isEmpty() ? null : Map.copyOf(changed);
        });
    return existed[0];
  }

  @Override
  public void unsubscribeAll(Subscriber subscriber) {
    subscriptions.remove(subscriber);
  }

  @Override
  public void publish(String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    // No copy: the iteration is weakly consistent, and a delivery that ends a connection (which
    // unsubscribes it) does not disturb it.
    for (Map.Entry<Subscriber, Map<String, MqttQoS>> entry : subscriptions.entrySet()) {
      MqttQoS granted = null;
      for (Map.Entry<String, MqttQoS> filter : entry.getValue().entrySet()) {
        if (Topics.matches(filter.getKey(), topic)
            && (granted == null || filter.getValue().value() > granted.value())) {
          granted = filter.getValue();
        }
      }
      if (granted != null) {
        entry
            .getKey()
            .deliver(topic, payload, qos.value() <= granted.value() ? qos : granted, properties);
      }
    }
  }
}

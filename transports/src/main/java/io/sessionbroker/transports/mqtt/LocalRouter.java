package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The in-memory router of one broker node: a map from subscriber to its filters, scanned on each
 * publish. A linear scan is fine for the fleets this broker targets (devices mostly publish, few
 * tools subscribe); a topic tree would replace it if subscriptions ever number in the tens of
 * thousands.
 */
public final class LocalRouter implements MqttRouter {

  private final Map<Subscriber, Map<String, MqttQoS>> subscriptions = new LinkedHashMap<>();

  @Override
  public void subscribe(Subscriber subscriber, String filter, MqttQoS qos) {
    subscriptions.computeIfAbsent(subscriber, s -> new HashMap<>()).put(filter, qos);
  }

  @Override
  public boolean unsubscribe(Subscriber subscriber, String filter) {
    Map<String, MqttQoS> filters = subscriptions.get(subscriber);
    if (filters == null || filters.remove(filter) == null) {
      return false;
    }
    if (filters.isEmpty()) {
      subscriptions.remove(subscriber);
    }
    return true;
  }

  @Override
  public void unsubscribeAll(Subscriber subscriber) {
    subscriptions.remove(subscriber);
  }

  @Override
  public void publish(String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    // Copy first: a delivery may end a connection, which unsubscribes it while we iterate.
    for (Map.Entry<Subscriber, Map<String, MqttQoS>> entry : Map.copyOf(subscriptions).entrySet()) {
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

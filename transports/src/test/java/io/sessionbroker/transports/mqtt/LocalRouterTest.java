package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LocalRouterTest {

  private final LocalRouter router = new LocalRouter();
  private final List<String> received = new ArrayList<>();
  private final MqttRouter.Subscriber subscriber =
      (topic, payload, qos, properties) -> received.add(topic + "@" + qos.value());

  @Test
  void overlappingFiltersDeliverOnceAtTheHighestGrantedQos() {
    router.subscribe(subscriber, "a/#", MqttQoS.AT_MOST_ONCE);
    router.subscribe(subscriber, "a/+", MqttQoS.AT_LEAST_ONCE);

    router.publish("a/b", Buffer.buffer("x"), MqttQoS.EXACTLY_ONCE, MqttProperties.NO_PROPERTIES);

    assertThat(received).containsExactly("a/b@1");
  }

  @Test
  void deliveryQosIsThePublishQosWhenLower() {
    router.subscribe(subscriber, "a", MqttQoS.AT_LEAST_ONCE);

    router.publish("a", Buffer.buffer("x"), MqttQoS.AT_MOST_ONCE, MqttProperties.NO_PROPERTIES);

    assertThat(received).containsExactly("a@0");
  }

  @Test
  void unsubscribedFiltersNoLongerDeliver() {
    router.subscribe(subscriber, "a", MqttQoS.AT_LEAST_ONCE);
    assertThat(router.unsubscribe(subscriber, "a")).isTrue();
    assertThat(router.unsubscribe(subscriber, "a")).isFalse();

    router.publish("a", Buffer.buffer("x"), MqttQoS.AT_MOST_ONCE, MqttProperties.NO_PROPERTIES);

    assertThat(received).isEmpty();
  }
}

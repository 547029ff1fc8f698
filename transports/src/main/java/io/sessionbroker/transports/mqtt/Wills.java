package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttWill;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes Will Messages, at once or after the MQTT 5 Will Delay Interval (§3.1.3.2.2), and
 * cancels a delayed will when the client comes back in time ([MQTT-3.1.3-9]). Runs on the
 * transport's event loop.
 */
final class Wills {

  private static final Logger log = LoggerFactory.getLogger(Wills.class);

  private final Vertx vertx;
  private final MqttRouter router;

  /** A will waiting for its delay, and the timer that will publish it. */
  private record Pending(MqttWill will, long timer) {}

  /** Client id → its waiting will. */
  private final Map<String, Pending> pending = new HashMap<>();

  Wills(Vertx vertx, MqttRouter router) {
    this.vertx = vertx;
    this.router = router;
  }

  /**
   * The will as carried in {@code sessions.closed}; null when the CONNECT had none. Its MQTT 5
   * properties (those a publication carries, {@link MessageProperties}) are in {@code properties}:
   * a survivor publishes a lost node's wills from this JSON ({@link ClusterRouter}).
   */
  static JsonObject toJson(MqttWill will) {
    if (will == null || !will.isWillFlag()) {
      return null;
    }
    JsonObject json =
        new JsonObject()
            .put("topic", will.getWillTopic())
            .put("payload", Payloads.toEventValue(will.getWillMessage()))
            .put(
                "payloadBase64",
                java.util.Base64.getEncoder()
                    .encodeToString(
                        will.getWillMessage() == null
                            ? new byte[0]
                            : will.getWillMessage().getBytes()))
            .put("qos", will.getWillQos())
            .put("retain", will.isWillRetain())
            .put("delayIntervalSeconds", delaySeconds(will));
    JsonObject properties = MessageProperties.toJson(will.getWillProperties());
    if (properties != null) {
      json.put("properties", properties);
    }
    return json;
  }

  /**
   * The connection of {@code clientId} ended without a DISCONNECT that discards the will.
   * §3.1.3.2.2: the will waits for the Will Delay Interval or the end of the session, whichever
   * comes first.
   */
  void connectionEnded(String clientId, MqttWill will, long sessionExpirySeconds) {
    long delay = Math.min(delaySeconds(will), sessionExpirySeconds);
    if (delay <= 0) {
      publish(clientId, will);
      return;
    }
    cancel(clientId);
    long timer =
        vertx.setTimer(delay * 1000L, id -> publish(clientId, pending.remove(clientId).will()));
    pending.put(clientId, new Pending(will, timer));
  }

  /**
   * A new connection of {@code clientId} was accepted. Resuming the session cancels a delayed will
   * ([MQTT-3.1.3-9]); a clean start ends the old session, which publishes the will now
   * (§3.1.3.2.2).
   */
  void reconnected(String clientId, boolean cleanStart) {
    Pending waiting = pending.get(clientId);
    if (waiting == null) {
      return;
    }
    cancel(clientId);
    if (cleanStart) {
      publish(clientId, waiting.will());
    } else {
      log.debug("mqtt_will_cancelled client={}", clientId);
    }
  }

  private void cancel(String clientId) {
    Pending waiting = pending.remove(clientId);
    if (waiting != null) {
      vertx.cancelTimer(waiting.timer());
    }
  }

  private void publish(String clientId, MqttWill will) {
    log.debug("mqtt_will_published client={} topic={}", clientId, will.getWillTopic());
    Buffer payload = will.getWillMessage() == null ? Buffer.buffer() : will.getWillMessage();
    // §3.1.3.2: the Will Properties other than the Will Delay Interval go out with the message.
    router.publish(
        will.getWillTopic(),
        payload,
        MqttQoS.valueOf(will.getWillQos()),
        MessageProperties.forwarded(will.getWillProperties()));
  }

  private static long delaySeconds(MqttWill will) {
    MqttProperties properties = will.getWillProperties();
    MqttProperties.MqttProperty<?> delay =
        properties == null ? null : properties.getProperty(MqttProperties.WILL_DELAY_INTERVAL);
    return delay == null ? 0 : Integer.toUnsignedLong((Integer) delay.value());
  }
}

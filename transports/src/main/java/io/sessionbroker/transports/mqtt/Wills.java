package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttWill;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes Will Messages, at once or after the MQTT 5 Will Delay Interval (§3.1.3.2.2), and
 * cancels a delayed will when the client comes back in time ([MQTT-3.1.3-9]).
 *
 * <p>Threading: a session's end reaches {@link #connectionEnded} on the session table's thread, the
 * client's next connection calls {@link #reconnected} on its own event loop, and a will's delay
 * ends on its old connection's loop: the waiting wills are under this object's lock, and whichever
 * of the timer and a reconnection removes a will first decides its fate (the other finds nothing).
 * The table orders the first two across loops: a session's end is handed over before the open of
 * the client's next session completes ({@link MqttLink#closing}). Publishing goes to the router,
 * which is safe from any thread.
 */
final class Wills {

  private static final Logger log = LoggerFactory.getLogger(Wills.class);

  private final MqttRouter router;

  /** A will waiting for its delay, the timer that will publish it, and that timer's Vert.x. */
  private record Pending(MqttWill will, long timer, Vertx vertx) {}

  /** Client id → its waiting will; guarded by {@code this}. */
  private final Map<String, Pending> pending = new HashMap<>();

  Wills(MqttRouter router) {
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
   * comes first; it waits on a timer of {@code context} (the old connection's: not the caller's,
   * the session table's thread).
   *
   * @return the will to publish now (no delay), or null when it waits
   */
  MqttWill connectionEnded(
      String clientId, MqttWill will, long sessionExpirySeconds, Context context) {
    long delay = Math.min(delaySeconds(will), sessionExpirySeconds);
    if (delay <= 0) {
      return will;
    }
    synchronized (this) {
      cancel(clientId);
      long timer = ((ContextInternal) context).setTimer(delay * 1000L, id -> due(clientId, id));
      pending.put(clientId, new Pending(will, timer, context.owner()));
    }
    return null;
  }

  /** A will's delay has ended: published, unless a reconnection took it first. */
  private void due(String clientId, long timer) {
    Pending due;
    synchronized (this) {
      due = pending.get(clientId);
      if (due == null || due.timer() != timer) {
        return;
      }
      pending.remove(clientId);
    }
    publish(clientId, due.will());
  }

  /**
   * A new connection of {@code clientId} was accepted. Resuming the session cancels a delayed will
   * ([MQTT-3.1.3-9]); a clean start ends the old session, which publishes the will now
   * (§3.1.3.2.2).
   *
   * @return the will to publish now, or null
   */
  synchronized MqttWill reconnected(String clientId, boolean cleanStart) {
    Pending waiting = cancel(clientId);
    if (waiting == null) {
      return null;
    }
    if (cleanStart) {
      return waiting.will();
    }
    log.debug("mqtt_will_cancelled client={}", clientId);
    return null;
  }

  /** Under the lock: removes the waiting will of {@code clientId} and stops its timer. */
  private Pending cancel(String clientId) {
    Pending waiting = pending.remove(clientId);
    if (waiting != null) {
      waiting.vertx().cancelTimer(waiting.timer());
    }
    return waiting;
  }

  /** Publishes {@code will} now; from any thread. */
  void publish(String clientId, MqttWill will) {
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

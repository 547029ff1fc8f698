package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.sessionbroker.cluster.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * MQTT session state kept between connections, in memory only (lost on restart): the subscriptions
 * of a client that connected with Clean Session 0 (3.1.1 §3.1.2.4) or a Session Expiry Interval
 * above 0 (5 §3.1.2.11.2). Messages published while the client is away are not queued. Runs on the
 * transport's event loop.
 */
final class MqttSessionStore {

  private record Stored(Map<String, MqttQoS> subscriptions, long expiresAt) {}

  private final Clock clock;
  private final Map<String, Stored> sessions = new HashMap<>();

  MqttSessionStore(Clock clock) {
    this.clock = clock;
  }

  /**
   * The stored subscriptions of {@code clientId} to resume, or null when there is no session to
   * resume: none stored, expired, or {@code cleanStart}, which discards it (§3.1.2.4). Non-null
   * means Session Present = 1 in the CONNACK (§3.2.2.2).
   */
  Map<String, MqttQoS> resume(String clientId, boolean cleanStart) {
    Stored stored = sessions.remove(clientId);
    if (cleanStart || stored == null || stored.expiresAt() <= clock.millis()) {
      return null;
    }
    return stored.subscriptions();
  }

  /**
   * Keeps the subscriptions of a client whose connection ended, for {@code expirySeconds}; 0 keeps
   * nothing.
   */
  void keep(String clientId, Map<String, MqttQoS> subscriptions, long expirySeconds) {
    if (expirySeconds <= 0) {
      return;
    }
    long now = clock.millis();
    sessions.values().removeIf(s -> s.expiresAt() <= now);
    long expiresAt =
        expirySeconds >= ConnectRules.NEVER_EXPIRES ? Long.MAX_VALUE : now + expirySeconds * 1000L;
    sessions.put(clientId, new Stored(Map.copyOf(subscriptions), expiresAt));
  }
}

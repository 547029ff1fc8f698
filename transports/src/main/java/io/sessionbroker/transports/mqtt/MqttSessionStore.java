package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.sessionbroker.cluster.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * MQTT session state kept between connections, in memory only (lost on restart): the subscriptions
 * of a client that connected with Clean Session 0 (3.1.1 §3.1.2.4) or a Session Expiry Interval
 * above 0 (5 §3.1.2.11.2). Messages published while the client is away are not queued.
 *
 * <p>Threading: {@link #keep} runs on the session table's thread as a session ends, {@link #resume}
 * on the event loop of the client's next connection, which may be another one: the methods hold the
 * store's lock (each a map operation or two; a lock rather than a concurrent map because a resume
 * reads and removes, and the purge walks the map). The table orders them: a session's end is handed
 * over before the open of the client's next session completes ({@link MqttLink#closing}).
 */
final class MqttSessionStore {

  /** Stored sessions below this count are never purged of expired ones. */
  private static final int MIN_PURGE_SIZE = 64;

  private record Stored(Map<String, MqttQoS> subscriptions, long expiresAt) {}

  private final Clock clock;
  private final Map<String, Stored> sessions = new HashMap<>();

  /**
   * When the store holds this many, {@link #keep} drops the expired ones first; then the bound
   * doubles from what is left. One walk per doubling: a mass close of persistent sessions keeps
   * each in constant time on average, where a walk per keep made it quadratic on the table's
   * thread.
   */
  private int purgeAt = MIN_PURGE_SIZE;

  MqttSessionStore(Clock clock) {
    this.clock = clock;
  }

  /**
   * The stored subscriptions of {@code clientId} to resume, or null when there is no session to
   * resume: none stored, expired, or {@code cleanStart}, which discards it (§3.1.2.4). Non-null
   * means Session Present = 1 in the CONNACK (§3.2.2.2).
   */
  synchronized Map<String, MqttQoS> resume(String clientId, boolean cleanStart) {
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
  synchronized void keep(String clientId, Map<String, MqttQoS> subscriptions, long expirySeconds) {
    if (expirySeconds <= 0) {
      return;
    }
    long now = clock.millis();
    if (sessions.size() >= purgeAt) {
      sessions.values().removeIf(s -> s.expiresAt() <= now);
      purgeAt = Math.max(MIN_PURGE_SIZE, 2 * sessions.size());
    }
    long expiresAt =
        expirySeconds >= ConnectRules.NEVER_EXPIRES ? Long.MAX_VALUE : now + expirySeconds * 1000L;
    sessions.put(clientId, new Stored(Map.copyOf(subscriptions), expiresAt));
  }
}

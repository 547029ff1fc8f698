package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.mqtt.MqttWill;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT connection's part in handing its client id's stored session ({@link MqttSessionStore})
 * and delayed will ({@link Wills}) over from one connection to the next.
 *
 * <p>Why it is not simply done on the connection's event loop: a client id's connections may be on
 * different loops (every loop accepts), and in a takeover the old connection's end and the new
 * one's start would then race — the new one could resume before the old one kept its subscriptions,
 * or cancel nothing before the old one's delayed will was set. The session table orders them: it
 * calls {@link #closing} of the old session on its own thread and completes the open of the next
 * one only after that returns, so the next connection's {@link #resume}, on whatever loop, comes
 * after. The table may also end a session while its own loop is still greeting it (a takeover a
 * moment after the open): this object's lock settles that race — a session that ended first takes
 * nothing over, and one that resumed first keeps it again at its end.
 */
final class SessionHandover {

  private static final Logger log = LoggerFactory.getLogger(SessionHandover.class);

  private final LinkServices services;
  private final Context context;

  // Guarded by this.
  private boolean resumed;
  private boolean ended;
  private ClientPubSub pubSub;
  private MqttWill willNow;

  /**
   * @param context the connection's context: where a delayed will waits
   */
  SessionHandover(LinkServices services, Context context) {
    this.services = services;
    this.context = context;
  }

  /**
   * On the connection's loop as the session is greeted: takes the client's stored session over,
   * unless the table has already ended this one, and restores it into {@code pubSub}; a waiting
   * will ends here ({@link Wills#reconnected}).
   *
   * @return the stored subscriptions (null: none to resume, Session Present 0)
   */
  Map<String, MqttQoS> resume(String clientId, boolean cleanStart, ClientPubSub pubSub) {
    Map<String, MqttQoS> stored;
    MqttWill orphan;
    synchronized (this) {
      if (ended) {
        return null; // ended before this loop greeted it: what is stored is the next session's
      }
      orphan = services.wills().reconnected(clientId, cleanStart);
      stored = services.sessions().resume(clientId, cleanStart);
      pubSub.restore(stored);
      this.pubSub = pubSub;
      resumed = true;
    }
    if (orphan != null) {
      services.wills().publish(clientId, orphan);
    }
    return stored;
  }

  /**
   * On the session table's thread, as the session ends: keeps what the session expiry asks for, and
   * hands the will over (waiting on this connection's loop, or due now: {@link #willDueNow}).
   *
   * @param will the will to publish, null when there is none (or a DISCONNECT discarded it)
   */
  void closing(String clientId, MqttWill will, TopicAcl.Client acl, long sessionExpirySeconds) {
    synchronized (this) {
      ended = true;
      if (resumed) {
        services.sessions().keep(clientId, pubSub.kept(), sessionExpirySeconds);
      }
      if (will != null && !acl.now().mayPublish(will.getWillTopic())) {
        // Allowed at CONNECT, but the ACL file has changed since: as Mosquitto does, the will is
        // checked again when it is sent (context__send_will), and dropped.
        services.denials().add(AclDenials.Action.WILL);
        log.debug("mqtt_will_denied client={} topic={}", clientId, will.getWillTopic());
      } else if (will != null) {
        // 3.1.1 §3.1.2.5 / 5 [MQTT-3.1.2-8]: every end without a will-discarding DISCONNECT
        // publishes the will, including a takeover (the old network connection closes without
        // DISCONNECT).
        willNow = services.wills().connectionEnded(clientId, will, sessionExpirySeconds, context);
      }
    }
  }

  /** After {@link #closing}: the will it found due at once, or null. */
  synchronized MqttWill willDueNow() {
    return willNow;
  }
}

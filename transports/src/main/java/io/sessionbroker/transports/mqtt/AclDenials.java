package io.sessionbroker.transports.mqtt;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * MQTT operations the ACL refused, by kind, since start: what {@code /metrics} shows as {@code
 * sessionbroker_mqtt_denied_total{action=...}} (the broker reads them; this module knows no metrics
 * library).
 */
public final class AclDenials {

  /** What was refused; its lower-case name is the metric's {@code action} label. */
  public enum Action {
    /** A PUBLISH to a topic the client may not write. */
    PUBLISH,
    /** A SUBSCRIBE filter that matches a topic the client may not read. */
    SUBSCRIBE,
    /** A CONNECT whose will names a topic the client may not write, or such a will not sent. */
    WILL
  }

  private final Map<Action, LongAdder> counts = new EnumMap<>(Action.class);

  public AclDenials() {
    for (Action action : Action.values()) {
      counts.put(action, new LongAdder());
    }
  }

  public void add(Action action) {
    counts.get(action).increment();
  }

  public long get(Action action) {
    return counts.get(action).sum();
  }
}

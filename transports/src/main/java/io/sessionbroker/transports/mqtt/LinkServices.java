package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every MQTT connection of one listener shares, from every event loop: each piece is safe
 * there for the reason its class gives (see {@link MqttTransport}, "Threading"). {@code secure}:
 * the listener is TLS, so a connection's TLS session may name its device by a client certificate; a
 * plain listener's connections are not asked for one (Vert.x looks for the TLS handler in the
 * pipeline by class: docs/benchmarks.md, twenty-third round).
 */
record LinkServices(
    SessionTable table,
    MqttOptions options,
    DeviceAuth auth,
    MqttRouter router,
    MqttSessionStore sessions,
    Wills wills,
    LongAdder heartbeats,
    TopicAcl acl,
    AclDenials denials,
    boolean secure) {

  /** The same services for a TLS listener. */
  LinkServices overTls() {
    return new LinkServices(
        table, options, auth, router, sessions, wills, heartbeats, acl, denials, true);
  }
}

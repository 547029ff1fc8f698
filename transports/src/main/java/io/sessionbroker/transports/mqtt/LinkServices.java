package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every MQTT connection of one transport shares, from every event loop: each piece is safe
 * there for the reason its class gives (see {@link MqttTransport}, "Threading").
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
    AclDenials denials) {}

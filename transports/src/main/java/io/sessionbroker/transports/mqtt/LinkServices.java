package io.sessionbroker.transports.mqtt;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Context;
import java.util.concurrent.atomic.LongAdder;

/** What every MQTT connection of one transport shares; all of it confined to {@code context}. */
record LinkServices(
    SessionTable table,
    MqttOptions options,
    DeviceAuth auth,
    MqttRouter router,
    MqttSessionStore sessions,
    Wills wills,
    Context context,
    LongAdder heartbeats,
    TopicAcl acl,
    AclDenials denials) {}

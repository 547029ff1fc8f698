package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.sessionbroker.cluster.CommandReply;
import io.sessionbroker.cluster.DeviceCommand;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish/subscribe side of one MQTT connection: SUBSCRIBE, UNSUBSCRIBE and PUBLISH from the
 * client, deliveries to it. Granted QoS is at most 1 (§3.9.3 lets the server grant less than
 * asked); inbound QoS 2 is acknowledged with PUBREC/PUBCOMP (vertx-mqtt's auto-ack) and delivered
 * once per packet id (§4.3.3, method A).
 *
 * <p>Authorization ({@link TopicAcl}): a SUBSCRIBE filter the client may not read is refused with
 * its own reason code, a PUBLISH to a topic it may not write is dropped (and told, where the
 * protocol can), a delivery to a topic it may no longer read (the ACL file changed, or a stored
 * session was resumed under another user name) is skipped.
 *
 * <p>Threading: confined to its connection's context, except {@link #deliver} (any thread: it hops
 * there) and {@link #kept} (any thread: a snapshot).
 */
final class ClientPubSub implements MqttRouter.Subscriber {

  private static final Logger log = LoggerFactory.getLogger(ClientPubSub.class);
  private static final MqttQoS MAX_GRANTED = MqttQoS.AT_LEAST_ONCE;

  /**
   * Where what the client sends goes on: its connection ({@link MqttLink}). One object for the
   * three, not a lambda each: every MQTT session held them (issue 17: 64 B a session).
   */
  interface Upstream {

    /** An accepted device PUBLISH (topic, payload), for {@code devices.inbound}. */
    void inbound(String topic, Buffer payload);

    /** The device's answer to a command ({@link CommandTopics}), for the session table. */
    void reply(String id, CommandReply reply);

    /** Ends the connection for a protocol violation with this MQTT 5 reason code. */
    void violation(MqttDisconnectReasonCode code);
  }

  private final MqttEndpoint endpoint;
  private final MqttRouter router;
  private final boolean v5;
  private final Upstream upstream;
  private final TopicAcl.Client acl;
  private final AclDenials denials;
  private final Context context;

  /** Its subscriptions in order; a shared empty map until the first (issue 17: 56 B a session). */
  private Map<String, MqttQoS> subscriptions = Map.of();

  /**
   * An immutable copy of {@link #subscriptions}, replaced at each change: what the session store
   * keeps when the session ends, read on the session table's thread ({@link MqttLink#closing}).
   */
  private volatile Map<String, MqttQoS> kept = Map.of();

  /** QoS 2 packet ids delivered, not yet released by PUBREL; shared and empty until the first. */
  private Set<Integer> qos2Received = Set.of();

  /** The packet id of the last QoS 1 delivery to the client. */
  private int lastPacketId;

  /**
   * @param upstream receives the device's accepted publishes, its answers to commands and its
   *     violations
   * @param acl what this client may publish, subscribe and receive
   * @param denials counts what {@code acl} refused
   * @param context the connection's context, where deliveries are written
   */
  ClientPubSub(
      MqttEndpoint endpoint,
      MqttRouter router,
      Upstream upstream,
      TopicAcl.Client acl,
      AclDenials denials,
      Context context) {
    this.endpoint = endpoint;
    this.context = context;
    this.router = router;
    this.v5 = ConnectRules.isV5(endpoint.protocolVersion());
    this.upstream = upstream;
    this.acl = acl;
    this.denials = denials;
  }

  /**
   * Creates the pub/sub side of an accepted connection and registers it for the endpoint's packets.
   */
  static ClientPubSub attach(
      MqttEndpoint endpoint,
      MqttRouter router,
      Upstream upstream,
      TopicAcl.Client acl,
      AclDenials denials,
      Context context) {
    ClientPubSub pubSub = new ClientPubSub(endpoint, router, upstream, acl, denials, context);
    endpoint
        // Acknowledged here, not by vertx-mqtt: a refused MQTT 5 PUBLISH gets a reason code.
        .publishAutoAck(false)
        .publishHandler(pubSub::onPublish)
        .publishReleaseHandler(pubSub::onPublishRelease)
        .subscribeHandler(pubSub::onSubscribe)
        .unsubscribeHandler(pubSub::onUnsubscribe);
    return pubSub;
  }

  /** The subscriptions as a map this client may change: its own, made at the first change. */
  private Map<String, MqttQoS> subscriptionsToChange() {
    if (subscriptions.isEmpty()) {
      subscriptions = new LinkedHashMap<>();
    }
    return subscriptions;
  }

  /** Notes a QoS 2 PUBLISH's packet id; false when it is already waiting for its PUBREL. */
  private boolean firstDelivery(int packetId) {
    if (qos2Received.isEmpty()) {
      qos2Received = new HashSet<>();
    }
    return qos2Received.add(packetId);
  }

  /** Resumes the subscriptions of a stored session, if there is one. */
  void restore(Map<String, MqttQoS> stored) {
    if (stored == null) {
      return;
    }
    stored.forEach(
        (filter, qos) -> {
          subscriptionsToChange().put(filter, qos);
          router.subscribe(this, filter, qos);
        });
    kept = Map.copyOf(subscriptions);
  }

  /** The subscriptions as of the last change, from any thread: what a stored session keeps. */
  Map<String, MqttQoS> kept() {
    return kept;
  }

  /** Leaves the router: the connection has ended. */
  void detach() {
    router.unsubscribeAll(this);
  }

  void onSubscribe(MqttSubscribeMessage message) {
    List<MqttSubAckReasonCode> codes = new ArrayList<>();
    for (MqttTopicSubscription subscription : message.topicSubscriptions()) {
      codes.add(subscribe(subscription.topicName(), subscription.qualityOfService()));
    }
    kept = Map.copyOf(subscriptions);
    if (v5) {
      endpoint.subscribeAcknowledge(message.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      // 3.1.1 §3.9.3: the granted QoS per filter, or 0x80 Failure.
      endpoint.subscribeAcknowledge(
          message.messageId(),
          codes.stream()
              .map(c -> (c.value() & 0xFF) < 0x80 ? MqttQoS.valueOf(c.value()) : MqttQoS.FAILURE)
              .toList());
    }
  }

  private MqttSubAckReasonCode subscribe(String filter, MqttQoS requested) {
    if (filter.startsWith("$share/")) {
      return v5
          ? MqttSubAckReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED
          : MqttSubAckReasonCode.UNSPECIFIED_ERROR;
    }
    if (!Topics.validFilter(filter)) {
      return MqttSubAckReasonCode.TOPIC_FILTER_INVALID;
    }
    if (!acl.now().maySubscribe(filter)) {
      // MQTT 5 §3.9.3: 0x87 Not authorized, for this filter only ([MQTT-3.9.3-1]: one code per
      // filter); 3.1.1 §3.9.3: 0x80 Failure (mapped in onSubscribe).
      denials.add(AclDenials.Action.SUBSCRIBE);
      return MqttSubAckReasonCode.NOT_AUTHORIZED;
    }
    MqttQoS granted = requested.value() <= MAX_GRANTED.value() ? requested : MAX_GRANTED;
    subscriptionsToChange().put(filter, granted);
    router.subscribe(this, filter, granted);
    return MqttSubAckReasonCode.qosGranted(granted);
  }

  void onUnsubscribe(MqttUnsubscribeMessage message) {
    List<MqttUnsubAckReasonCode> codes = new ArrayList<>();
    for (String filter : message.topics()) {
      boolean existed = !subscriptions.isEmpty() && subscriptions.remove(filter) != null;
      router.unsubscribe(this, filter);
      codes.add(
          existed
              ? MqttUnsubAckReasonCode.SUCCESS
              : MqttUnsubAckReasonCode.NO_SUBSCRIPTION_EXISTED);
    }
    kept = Map.copyOf(subscriptions);
    if (v5) {
      endpoint.unsubscribeAcknowledge(message.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      endpoint.unsubscribeAcknowledge(message.messageId());
    }
  }

  void onPublish(MqttPublishMessage message) {
    if (!Topics.validName(message.topicName())) {
      // 3.1.1 §3.3.2.1 / 5 §3.3.2.1: no wildcards in a Topic Name; a violation closes the
      // connection.
      upstream.violation(MqttDisconnectReasonCode.TOPIC_NAME_INVALID);
      return;
    }
    if (!acl.now().mayPublish(message.topicName())) {
      refusePublish(message);
      return;
    }
    if (message.qosLevel() == MqttQoS.EXACTLY_ONCE && !firstDelivery(message.messageId())) {
      message.ack(); // a resent QoS 2 PUBLISH whose PUBREL has not come yet: acknowledged again,
      return; // not delivered again
    }
    if (CommandTopics.isCommandTopic(message.topicName())) {
      onCommandTopic(message);
      message.ack();
      return;
    }
    router.publish(
        message.topicName(),
        message.payload(),
        message.qosLevel(),
        MessageProperties.forwarded(message.properties()));
    upstream.inbound(message.topicName(), message.payload());
    message.ack(); // QoS 1: PUBACK, QoS 2: PUBREC (nothing for QoS 0)
  }

  /**
   * A PUBLISH to a topic the client may not write: not routed, not an inbound event, counted. MQTT
   * 5 says why: PUBACK (QoS 1) or PUBREC (QoS 2) with 0x87 Not authorized (§3.4.2.1, §3.5.2.1;
   * after a PUBREC of 0x80 or more the exchange is over, §4.3.3, so no PUBREL follows). MQTT 3.1.1
   * cannot: [MQTT-3.3.5-2] the server "MUST either make a positive acknowledgement, according to
   * the normal QoS rules, or close the Network Connection"; we acknowledge, so a device publishing
   * to the wrong topic is not reconnecting in a loop. QoS 0 has no acknowledgement at all.
   */
  private void refusePublish(MqttPublishMessage message) {
    denials.add(AclDenials.Action.PUBLISH);
    if (!v5 || message.qosLevel() == MqttQoS.AT_MOST_ONCE) {
      message.ack();
    } else if (message.qosLevel() == MqttQoS.AT_LEAST_ONCE) {
      endpoint.publishAcknowledge(
          message.messageId(), MqttPubAckReasonCode.NOT_AUTHORIZED, MqttProperties.NO_PROPERTIES);
    } else {
      endpoint.publishReceived(
          message.messageId(), MqttPubRecReasonCode.NOT_AUTHORIZED, MqttProperties.NO_PROPERTIES);
    }
  }

  /**
   * A PUBLISH under {@code commands/}: the broker's tree, never passed on to subscribers. A reply
   * of this client's own device answers its command; anything else (a reply for another device id,
   * a request) is dropped.
   */
  private void onCommandTopic(MqttPublishMessage message) {
    CommandTopics.Reply reply = CommandTopics.reply(message.topicName());
    String deviceId = endpoint.clientIdentifier();
    if (reply == null || !reply.deviceId().equals(deviceId)) {
      log.debug("mqtt_command_publish_refused device={} topic={}", deviceId, message.topicName());
      return;
    }
    Buffer payload = message.payload();
    upstream.reply(
        reply.id(),
        new CommandReply(
            reply.status(),
            payload == null || payload.length() == 0 ? null : Payloads.toEventValue(payload)));
  }

  /**
   * Publishes a command to the device on {@code commands/{deviceId}/req/{id}/{name}} at the highest
   * QoS its subscriptions matching that topic were granted; MQTT 5 adds the Response Topic and the
   * command id as Correlation Data (§4.10). A device with no matching subscription gets nothing
   * ([MQTT-3.3.5-1]: a server delivers to matching subscriptions), and the command times out.
   */
  void command(DeviceCommand command) {
    String deviceId = endpoint.clientIdentifier();
    String topic = CommandTopics.request(deviceId, command.id(), command.name());
    MqttQoS qos = null;
    for (Map.Entry<String, MqttQoS> subscription : subscriptions.entrySet()) {
      if (Topics.matches(subscription.getKey(), topic)
          && (qos == null || subscription.getValue().value() > qos.value())) {
        qos = subscription.getValue();
      }
    }
    if (qos == null) {
      log.debug("mqtt_command_not_subscribed device={} command={}", deviceId, command.id());
      return;
    }
    MqttProperties properties = new MqttProperties();
    if (v5) {
      properties.add(
          new MqttProperties.StringProperty(
              MqttProperties.MqttPropertyType.RESPONSE_TOPIC.value(),
              CommandTopics.response(deviceId, command.id())));
      properties.add(
          new MqttProperties.BinaryProperty(
              MqttProperties.MqttPropertyType.CORRELATION_DATA.value(),
              command.id().getBytes(StandardCharsets.UTF_8)));
    }
    write(topic, Json.encodeToBuffer(command.payload()), qos, properties);
  }

  void onPublishRelease(int packetId) {
    if (!qos2Received.isEmpty()) { // the shared empty set cannot be changed
      qos2Received.remove(packetId);
    }
    endpoint.publishComplete(packetId); // §4.3.3: PUBREL is answered with PUBCOMP
  }

  /**
   * From any thread (the publisher's): written on this connection's context, at once when called
   * there, else in a task queued there. Per publisher the order holds ([MQTT-4.6.0-6]): a publisher
   * is always on one thread, and a context runs the tasks one thread queues in their order. The
   * payload is shared by every subscriber, read only (vertx-mqtt copies it into each PUBLISH).
   */
  @Override
  public void deliver(String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    if (Vertx.currentContext() == context) {
      write(topic, payload, qos, properties);
    } else {
      context.runOnContext(v -> write(topic, payload, qos, properties));
    }
  }

  private void write(String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    if (!acl.now().mayRead(topic)) {
      return; // subscribed when it was allowed; the rules have changed since
    }
    if (v5 && tooLargeForClient(topic, payload, qos, properties)) {
      // [MQTT-3.1.2-24] never more than the client's Maximum Packet Size; [MQTT-3.1.2-25] a
      // message that does not fit is dropped for this client, as if it had been sent.
      return;
    }
    if (endpoint.isConnected()) {
      // The packet id is ours: vertx-mqtt's own counter is private, and only its publish without
      // properties uses it. MQTT 3.1.1 has no properties; its encoder would ignore them anyway.
      int packetId = qos == MqttQoS.AT_MOST_ONCE ? 0 : nextPacketId();
      endpoint.publish(
          topic,
          payload,
          qos,
          false,
          false,
          packetId,
          v5 ? properties : MqttProperties.NO_PROPERTIES);
    }
  }

  private boolean tooLargeForClient(
      String topic, Buffer payload, MqttQoS qos, MqttProperties properties) {
    MqttProperties.MqttProperty<?> maximum =
        endpoint.connectProperties().getProperty(MqttProperties.MAXIMUM_PACKET_SIZE);
    return maximum != null
        && MessageProperties.publishPacketBytes(
                topic, payload.length(), qos != MqttQoS.AT_MOST_ONCE, properties)
            > Integer.toUnsignedLong((Integer) maximum.value());
  }

  /** 1..65535, then 1 again (§2.2.1: 0 is not a packet id). */
  private int nextPacketId() {
    lastPacketId = lastPacketId % 65_535 + 1;
    return lastPacketId;
  }
}

package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.util.ReferenceCountUtil;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.CommandReply;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.link.Link;
import io.sessionbroker.transports.link.PeerAddress;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT connection, from accepted socket to closed session: CONNECT → {@code table.open} →
 * CONNACK; every control packet → {@code table.touch}; DISCONNECT, socket loss or a protocol error
 * → {@code table.close}. Its life (CONNECT deadline, open, the one close, the table's callback) is
 * its {@link Link}'s; what is MQTT's own stays here: CONNACK codes, the will, the keep-alive,
 * DISCONNECT reason codes, the stored session.
 *
 * <p>Threading: confined to the context of the event loop that accepted the socket, except {@link
 * #closing}, which the session table calls on its own thread: there the stored session and a
 * delayed will change hands ({@link SessionHandover} says why). The fields it reads are volatile or
 * set before the session opened.
 */
final class MqttLink implements Link.Wire<MqttEnd>, ClientPubSub.Upstream {

  private static final Logger log = LoggerFactory.getLogger(MqttLink.class);

  private final NetSocketInternal socket;
  private final LinkServices services;
  private final VertxMqttBridge bridge;
  private final Link<MqttEnd> link;
  private final Pings pings;
  private String requestedClientId;

  /**
   * The session's client id once CONNECT is read: the CONNECT's, else the client certificate's
   * name, else one vertx-mqtt assigned.
   */
  private String clientId;

  /**
   * The user the password file authenticated (MQTT User Name); null when the client authenticated
   * otherwise (a token, a certificate) or authentication is off. For ACLs ({@code %u}).
   */
  private String user;

  private MqttEndpoint endpoint;
  private ClientPubSub pubSub;
  private volatile MqttWill will;
  private TopicAcl.Client acl;
  private volatile long sessionExpirySeconds;

  private final SessionHandover handover;

  MqttLink(NetSocketInternal socket, LinkServices services, Context context) {
    this.socket = socket;
    this.services = services;
    this.link = new Link<>(services.table(), TransportName.MQTT, context, this);
    this.handover = new SessionHandover(services, context);
    this.pings = new Pings(socket, services, link);
    this.bridge =
        new VertxMqttBridge(
            socket,
            services.options().maxMessageBytes(),
            pings,
            this::onConnect,
            e -> refused("identifier_rejected", e.getMessage(), MqttEnd.NONE));
    socket.messageHandler(this::onPacket);
    socket.closeHandler(v -> onSocketClosed());
    socket.exceptionHandler(
        e -> log.debug("mqtt_socket_error remote={}: {}", link.remote(), e.toString()));
    // §3.1.4: a server may close a connection that does not send CONNECT within a reasonable time.
    long connectTimeoutMs = services.options().connectTimeoutMs();
    link.awaitHello(
        connectTimeoutMs,
        () ->
            refused(
                "connect_timeout", "no CONNECT within " + connectTimeoutMs + " ms", MqttEnd.CLOSE));
  }

  /** Every decoded packet passes here first, then goes to vertx-mqtt. */
  private void onPacket(Object message) {
    if (link.state() == Link.State.CLOSED
        || link.state() == Link.State.CLOSING
        || link.state() == Link.State.REFUSING) {
      // The connection has ended (refused, a violation, a DISCONNECT): packets the decoder still
      // had from the same read are not read ([MQTT-3.14.4-1]: nothing follows a DISCONNECT).
      // vertx-mqtt would throw on them ("a not connected client") after a refused CONNECT.
      ReferenceCountUtil.release(message);
      return;
    }
    if (!(message instanceof MqttMessage packet)) {
      bridge.deliver(message);
      return;
    }
    if (packet.decoderResult().isFailure()) {
      Throwable cause = packet.decoderResult().cause();
      if (cause instanceof MqttIdentifierRejectedException
          && link.state() == Link.State.AWAITING_HELLO) {
        // MQTT 3.1: the decoder refused a client id of 0 or more than 23 characters. The 3.1 spec
        // answers CONNACK 2 Identifier Rejected; vertx-mqtt would just close.
        refused(
            "identifier_rejected",
            "MQTT 3.1 client id must be 1 to 23 characters",
            MqttEnd.connack(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED));
        return;
      }
      onMalformed(cause);
      if (cause instanceof MqttUnacceptableProtocolVersionException) {
        bridge.deliver(message); // vertx-mqtt answers CONNACK 0x01 and closes
      }
      return;
    }
    Session session = link.session();
    MqttMessageType type = packet.fixedHeader().messageType();
    if (session != null) {
      services.table().touch(session); // §3.1.2.10: any control packet resets the keep-alive
      if (type == MqttMessageType.PINGREQ) {
        pings.answer(); // [MQTT-3.12.4-1]; most PINGREQs take the short way (Pings) instead
        return;
      }
    }
    boolean awaitingConnect = link.state() == Link.State.AWAITING_HELLO;
    if (type != MqttMessageType.CONNECT && awaitingConnect) {
      // §3.1.0-1 (3.1.1 [MQTT-3.1.0-1]): the first packet MUST be CONNECT. A PUBLISH holds bytes.
      ReferenceCountUtil.release(packet);
      refused(Frames.PROTOCOL_ERROR, "first packet was " + type + ", not CONNECT", MqttEnd.CLOSE);
    } else if (type == MqttMessageType.CONNECT) { // the first: MqttFraming refuses a second
      requestedClientId = ((MqttConnectMessage) packet).payload().clientIdentifier();
      ConnectRules.Refusal early = ConnectRules.refuseEarly((MqttConnectMessage) packet);
      if (early != null) {
        refused(early.rejection(), early.message(), early.end());
        return;
      }
      bridge.deliver(message);
      bridge.dropBuiltInKeepAlive();
      if (link.state() == Link.State.AWAITING_HELLO) { // vertx-mqtt refused it, and answered it
        refused("connect_refused", "CONNECT refused (bad will flags or client id)", MqttEnd.NONE);
      }
    } else {
      MqttDisconnectReasonCode refusal =
          endpoint == null
              ? null
              : PacketRules.refusal(type, packet, endpoint.protocolVersion(), sessionExpirySeconds);
      if (refusal == null) {
        bridge.deliver(message);
      } else {
        ReferenceCountUtil.release(packet);
        violation(refusal);
      }
    }
  }

  private void onMalformed(Throwable cause) {
    MqttDisconnectReasonCode code = WireViolation.codeOf(cause);
    if (link.state() != Link.State.AWAITING_HELLO) {
      violation(code); // MQTT 5 §4.13: DISCONNECT with the reason code, then close; 3.1.1: close
    } else if (cause instanceof MqttUnacceptableProtocolVersionException) {
      refused("unsupported_protocol_version", String.valueOf(cause.getMessage()), MqttEnd.NONE);
    } else {
      // MQTT 5 §4.13: CONNACK with the reason code, then close; 3.1.1 §4.8: close.
      refused(
          code == MqttDisconnectReasonCode.PROTOCOL_ERROR
              ? Frames.PROTOCOL_ERROR
              : "malformed_packet",
          String.valueOf(cause.getMessage()),
          bridge.protocolLevel() == 5 ? MqttEnd.undecodedConnect(code) : MqttEnd.CLOSE);
    }
  }

  /** vertx-mqtt accepted the CONNECT's form; now the broker's rules, then the session table. */
  private void onConnect(MqttEndpoint endpoint) {
    this.endpoint = endpoint;
    // vertx-mqtt took the socket's close and exception handlers over as it read the CONNECT (just
    // before calling this), and tells only the endpoint's: ours must be on it from now on, not from
    // the CONNACK, or a device gone while its credentials are checked or its session opens is not
    // heard — the session then opened on a closed endpoint (an ERROR, "MQTT endpoint is closed")
    // and stayed until its keep-alive ran out, closed TIMEOUT (MqttCloseWhileOpeningIT).
    endpoint
        .closeHandler(v -> onSocketClosed())
        .exceptionHandler(
            e -> log.debug("mqtt_endpoint_error device={}: {}", clientId, e.toString()));
    ConnectStep step = new ConnectStep(services, link, endpoint, requestedClientId);
    clientId = step.clientId();
    step.check(this::onAdmitted);
  }

  /** The CONNECT passed the broker's rules and its credentials: open the session. */
  private void onAdmitted(ConnectStep.Admitted admitted) {
    user = admitted.user();
    will = admitted.will();
    acl = admitted.acl();
    sessionExpirySeconds = admitted.sessionExpirySeconds();
    link.open(clientId, admitted.heartbeatMs(), Wills.toJson(will));
  }

  /**
   * §3.14.4 (3.1.1) / [MQTT-3.14.4-3] (5): DISCONNECT with reason 0x00 (3.1.1: every DISCONNECT)
   * discards the will; any other MQTT 5 reason (0x04 Disconnect with Will Message, or an error the
   * client reports) leaves it to be published ([MQTT-3.1.2-8]).
   */
  private void onDisconnect(MqttDisconnectMessage message) {
    if (message.code() == MqttDisconnectReasonCode.NORMAL) {
      will = null;
      link.session().will(null);
    }
    sessionExpirySeconds =
        ConnectRules.sessionExpiryOnDisconnect(message.properties(), sessionExpirySeconds);
    link.close(CloseReason.CLIENT_CLOSED, null);
  }

  /** A violation after CONNECT: tell an MQTT 5 client why (§4.13), close, end PROTOCOL_ERROR. */
  @Override
  public void violation(MqttDisconnectReasonCode code) {
    log.debug("mqtt_protocol_error remote={} code={}", link.remote(), code);
    link.close(CloseReason.PROTOCOL_ERROR, MqttEnd.disconnect(code));
  }

  private void onSocketClosed() {
    if (link.state() == Link.State.AWAITING_HELLO) {
      refused("closed_before_connect", "connection closed before CONNECT", MqttEnd.NONE);
    }
    link.socketClosed(CloseReason.CONNECTION_LOST);
    socket.resume(); // Vert.x never releases what it held while paused (PUBLISHes); onPacket does
  }

  /**
   * The connection never becomes a session: a {@code sessions.rejected} event, and {@code end} on
   * the wire.
   */
  private void refused(String code, String message, MqttEnd end) {
    String deviceId = clientId != null ? clientId : requestedClientId;
    link.reject(code, message, deviceId, end);
  }

  @Override
  public void pause() {
    socket.pause(); // packets sent right after CONNECT (§3.1.4 allows it) wait for the CONNACK
  }

  @Override
  public void opened(Session session) {
    pubSub =
        ClientPubSub.attach(
            endpoint, services.router(), this, acl, services.denials(), link.context());
    Map<String, MqttQoS> stored = handover.resume(clientId, endpoint.isCleanSession(), pubSub);
    endpoint.autoKeepAlive(true).disconnectMessageHandler(this::onDisconnect);
    boolean assigned = requestedClientId == null || requestedClientId.isEmpty();
    endpoint.accept(
        stored != null,
        ConnectRules.connackProperties(
            endpoint.protocolVersion(),
            assigned ? clientId : null,
            ConnectRules.serverKeepAlive(endpoint.keepAliveTimeSeconds(), session.heartbeatMs()),
            services.options().maxMessageBytes()));
    socket.resume();
    pings.openShortWay(link.context());
    log.debug("mqtt_connected device={} version={}", clientId, endpoint.protocolVersion());
  }

  @Override
  public MqttEnd goodbye(CloseReason reason) {
    return reason.byBroker()
        ? MqttEnd.disconnect(ConnectRules.disconnectCode(reason))
        : MqttEnd.CLOSE;
  }

  @Override
  public void command(DeviceCommand command) {
    if (pubSub != null) {
      pubSub.command(command);
    }
  }

  @Override
  public String remote() {
    return PeerAddress.of(socket.channelHandlerContext().channel());
  }

  @Override
  public MqttEnd unavailable() {
    return MqttEnd.connack(ConnectRules.serverUnavailable(endpoint.protocolVersion()));
  }

  @Override
  public MqttEnd banned() {
    return MqttEnd.connack(ConnectRules.flapping(endpoint.protocolVersion()));
  }

  @Override
  public void close(MqttEnd end) {
    if (end.connack() != null && endpoint == null) {
      if (end.closeSocket()) {
        // An MQTT 5 CONNECT that could not be decoded: netty's encoder may not know the version
        // yet.
        bridge.refuseUndecodedConnect(end.connack());
      } else {
        // A decoded CONNECT refused before vertx-mqtt saw it (a bad will, a 3.1 client id): the
        // CONNACK goes out as netty's encoder writes it for the CONNECT's version.
        socket.writeMessage(MqttMessageBuilders.connAck().returnCode(end.connack()).build());
        socket.close();
      }
      return;
    }
    if (end.connack() != null) {
      endpoint.reject(end.connack()); // writes the CONNACK, then closes (§3.2.2.3)
      return;
    }
    if (end.disconnect() != null && disconnect(end.disconnect())) {
      return; // the endpoint has closed the socket
    }
    if (end.closeSocket()) {
      socket.close();
    }
  }

  /**
   * MQTT 5: DISCONNECT with {@code code} before the close (§4.13); MQTT 3.1.1 has no such packet.
   *
   * @return whether the endpoint closed the socket (vertx-mqtt does, on either version): a second
   *     close would run Vert.x's and Netty's close path again for nothing (issue 17)
   */
  private boolean disconnect(MqttDisconnectReasonCode code) {
    try {
      if (endpoint != null && endpoint.isConnected()) {
        endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
        return true;
      }
    } catch (IllegalStateException
        | IllegalArgumentException e) { // vertx-mqtt: the endpoint is already closed
    }
    return false;
  }

  /** A device PUBLISH that {@link ClientPubSub} accepted: a {@code devices.inbound} event. */
  @Override
  public void inbound(String topic, Buffer payload) {
    services.table().inbound(link.session(), topic, Payloads.toEventValue(payload));
  }

  /** The device's answer to a command, published under {@code commands/}. */
  @Override
  public void reply(String id, CommandReply reply) {
    services.table().reply(link.session(), id, reply);
  }

  /** The table's thread, as the session ends: {@link SessionHandover#closing}. */
  @Override
  public void closing(Session session, CloseReason reason) {
    handover.closing(clientId, will, acl, sessionExpirySeconds);
  }

  /** After the session's close event, on this loop: leave the router, publish a will due now. */
  @Override
  public void ended(Session session, CloseReason reason) {
    if (pubSub != null) { // null when the socket was lost while the session was opening
      pubSub.detach();
    }
    MqttWill now = handover.willDueNow();
    if (now != null) {
      services.wills().publish(clientId, now);
    }
    log.debug("mqtt_session_ended device={} reason={}", clientId, reason);
  }

  /**
   * The user the password file authenticated for this connection (its MQTT User Name), or null: a
   * token, a client certificate or no authentication let it in.
   */
  String user() {
    return user;
  }
}

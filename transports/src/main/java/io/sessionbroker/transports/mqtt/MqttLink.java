package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.AsyncResult;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT connection, from accepted socket to closed session: CONNECT → {@code table.open} → CONNACK; every
 * control packet → {@code table.touch}; DISCONNECT, socket loss or a protocol error → {@code table.close}.
 * The table's callback ({@link #closed}) is the single place where the connection's end is acted on: DISCONNECT
 * to an MQTT 5 client, will, stored session. Confined to the transport's event loop, except {@link #closed}.
 */
final class MqttLink implements Connection {

  private static final Logger log = LoggerFactory.getLogger(MqttLink.class);
  static final String TRANSPORT = "mqtt";

  private enum Phase { AWAIT_CONNECT, OPENING, OPEN, ENDED }

  private final NetSocketInternal socket;
  private final LinkServices services;
  private final VertxMqttBridge bridge;
  private final String remote;
  private final long connectTimer;
  private Phase phase = Phase.AWAIT_CONNECT;
  private String requestedClientId;
  private MqttEndpoint endpoint;
  private Session session;
  private ClientPubSub pubSub;
  private MqttWill will;
  private long sessionExpirySeconds;
  /** Why this side ended the connection (DISCONNECT, protocol error); null: the socket was lost. */
  private CloseReason localReason;

  MqttLink(NetSocketInternal socket, LinkServices services) {
    this.socket = socket;
    this.services = services;
    this.remote = socket.remoteAddress().toString();
    this.bridge = new VertxMqttBridge(socket, services.options().maxMessageBytes(), Frames.MAX_DEVICE_ID_LENGTH,
        this::onConnect, e -> refused("identifier_rejected", e.getMessage()));
    socket.messageHandler(this::onPacket);
    socket.closeHandler(v -> onSocketClosed());
    socket.exceptionHandler(e -> log.debug("mqtt_socket_error remote={}: {}", remote, e.toString()));
    // §3.1.4: a server may close a connection that does not send CONNECT within a reasonable time.
    this.connectTimer = services.context().owner().setTimer(services.options().connectTimeoutMs(), id -> {
      if (phase == Phase.AWAIT_CONNECT) {
        refused("connect_timeout", "no CONNECT within " + services.options().connectTimeoutMs() + " ms");
        socket.close();
      }
    });
  }

  /** Every decoded packet passes here first, then goes to vertx-mqtt. */
  private void onPacket(Object message) {
    if (!(message instanceof MqttMessage packet)) {
      bridge.deliver(message);
      return;
    }
    if (packet.decoderResult().isFailure()) {
      onMalformed(packet.decoderResult().cause());
      bridge.deliver(message);
      return;
    }
    if (session != null) {
      services.table().touch(session); // §3.1.2.10: any control packet resets the keep-alive
    }
    MqttMessageType type = packet.fixedHeader().messageType();
    if (type != MqttMessageType.CONNECT && phase == Phase.AWAIT_CONNECT) {
      // §3.1.0-1 (3.1.1 [MQTT-3.1.0-1]): the first packet MUST be CONNECT.
      refused(Frames.PROTOCOL_ERROR, "first packet was " + type + ", not CONNECT");
      socket.close();
    } else if (type == MqttMessageType.CONNECT && phase != Phase.AWAIT_CONNECT) {
      violation(MqttDisconnectReasonCode.PROTOCOL_ERROR); // §3.1.0-2: a second CONNECT is a protocol violation
    } else if (type == MqttMessageType.CONNECT) {
      requestedClientId = ((MqttConnectMessage) packet).payload().clientIdentifier();
      bridge.deliver(message);
      bridge.dropBuiltInKeepAlive();
      if (phase == Phase.AWAIT_CONNECT) {
        refused("connect_refused", "CONNECT refused (bad will flags or client id)");
      }
    } else {
      bridge.deliver(message);
    }
  }

  private void onMalformed(Throwable cause) {
    if (phase == Phase.AWAIT_CONNECT) {
      boolean version = cause instanceof MqttUnacceptableProtocolVersionException;
      refused(version ? "unsupported_protocol_version" : "malformed_packet", String.valueOf(cause.getMessage()));
    } else {
      // MQTT 5 §4.13: 0x81 Malformed Packet / 0x95 Packet Too Large, then close; 3.1.1 §4.8: just close.
      violation(cause instanceof TooLongFrameException
          ? MqttDisconnectReasonCode.PACKET_TOO_LARGE : MqttDisconnectReasonCode.MALFORMED_PACKET);
    }
  }

  /** vertx-mqtt accepted the CONNECT's form; now the broker's rules, then the session table. */
  private void onConnect(MqttEndpoint endpoint) {
    services.context().owner().cancelTimer(connectTimer);
    this.endpoint = endpoint;
    ConnectRules.Refusal refusal = ConnectRules.admit(endpoint, services.auth());
    if (refusal != null) {
      refuseConnect(refusal);
      return;
    }
    phase = Phase.OPENING;
    socket.pause(); // packets sent right after CONNECT (§3.1.4 allows it) wait for the CONNACK
    will = endpoint.will() != null && endpoint.will().isWillFlag() ? endpoint.will() : null;
    sessionExpirySeconds = ConnectRules.sessionExpirySeconds(
        endpoint.protocolVersion(), endpoint.isCleanSession(), endpoint.connectProperties());
    long heartbeatMs = ConnectRules.requestedHeartbeatMs(
        endpoint.keepAliveTimeSeconds(), services.options().maxKeepAliveSeconds());
    services.table()
        .open(new OpenRequest(endpoint.clientIdentifier(), TRANSPORT, remote, heartbeatMs, Wills.toJson(will), this))
        .onComplete(result -> services.context().runOnContext(v -> opened(result)));
  }

  private void opened(AsyncResult<Session> result) {
    if (result.failed()) {
      refuseConnect(new ConnectRules.Refusal(ConnectRules.serverUnavailable(endpoint.protocolVersion()),
          "open_failed", String.valueOf(result.cause().getMessage())));
      return;
    }
    if (phase == Phase.ENDED) {
      services.table().close(result.result(), localReason == null ? CloseReason.CONNECTION_LOST : localReason);
      return;
    }
    session = result.result();
    phase = Phase.OPEN;
    String clientId = endpoint.clientIdentifier();
    services.wills().reconnected(clientId, endpoint.isCleanSession());
    var stored = services.sessions().resume(clientId, endpoint.isCleanSession());
    pubSub = ClientPubSub.attach(endpoint, services.router(),
        (topic, payload) -> services.table().inbound(session, topic, Payloads.toEventValue(payload)),
        this::violation);
    endpoint.autoKeepAlive(true)
        .disconnectMessageHandler(this::onDisconnect)
        .closeHandler(v -> onSocketClosed())
        .exceptionHandler(e -> log.debug("mqtt_endpoint_error device={}: {}", clientId, e.toString()));
    pubSub.restore(stored);
    boolean assigned = requestedClientId == null || requestedClientId.isEmpty();
    endpoint.accept(stored != null, ConnectRules.connackProperties(endpoint.protocolVersion(),
        assigned ? clientId : null,
        ConnectRules.serverKeepAlive(endpoint.keepAliveTimeSeconds(), session.heartbeatMs())));
    socket.resume();
    log.debug("mqtt_connected device={} version={}", clientId, endpoint.protocolVersion());
  }

  /** §3.14.4 (3.1.1) / [MQTT-3.14.4-3] (5): DISCONNECT discards the will, unless MQTT 5 reason 0x04 keeps it. */
  private void onDisconnect(MqttDisconnectMessage message) {
    if (message.code() != MqttDisconnectReasonCode.WITH_WILL_MESSAGE) {
      will = null;
      session.will(null);
    }
    sessionExpirySeconds = ConnectRules.sessionExpiryOnDisconnect(message.properties(), sessionExpirySeconds);
    localReason = CloseReason.CLIENT_CLOSED;
    services.table().close(session, CloseReason.CLIENT_CLOSED);
  }

  /** A protocol violation after CONNECT: tell an MQTT 5 client why (§4.13), close, end with PROTOCOL_ERROR. */
  private void violation(MqttDisconnectReasonCode code) {
    localReason = localReason == null ? CloseReason.PROTOCOL_ERROR : localReason;
    log.debug("mqtt_protocol_error remote={} code={}", remote, code);
    disconnect(code);
    if (session != null) {
      services.table().close(session, localReason);
    } else if (phase == Phase.OPENING) {
      phase = Phase.ENDED;
    }
  }

  private void onSocketClosed() {
    switch (phase) {
      case AWAIT_CONNECT -> refused("closed_before_connect", "connection closed before CONNECT");
      case OPENING -> phase = Phase.ENDED; // opened() closes the session it gets
      case OPEN -> services.table().close(session, localReason == null ? CloseReason.CONNECTION_LOST : localReason);
      case ENDED -> { }
    }
  }

  /** The session table ended the session (table thread): finish on the event loop. */
  @Override
  public void closed(Session closed, CloseReason reason) {
    services.context().runOnContext(v -> finish(reason));
  }

  private void finish(CloseReason reason) {
    phase = Phase.ENDED;
    if (reason.byBroker()) {
      disconnect(ConnectRules.disconnectCode(reason));
    } else {
      socket.close();
    }
    String clientId = endpoint.clientIdentifier();
    if (pubSub != null) { // null when the socket was lost while the session was opening
      services.sessions().keep(clientId, pubSub.detach(), sessionExpirySeconds);
    }
    if (will != null) {
      // 3.1.1 §3.1.2.5 / 5 [MQTT-3.1.2-8]: every end without a will-discarding DISCONNECT publishes the will,
      // including a takeover (the old network connection closes without DISCONNECT).
      services.wills().connectionEnded(clientId, will, sessionExpirySeconds);
    }
    log.debug("mqtt_session_ended device={} reason={}", clientId, reason);
  }

  /** MQTT 5: DISCONNECT with {@code code}, then close (§4.13); MQTT 3.1.1 has no such packet: just close. */
  private void disconnect(MqttDisconnectReasonCode code) {
    try {
      if (endpoint != null && endpoint.isConnected()) {
        endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
      }
    } catch (IllegalStateException | IllegalArgumentException e) { // vertx-mqtt: the endpoint is already closed
    }
    socket.close();
  }

  /** Refuses a CONNECT with a CONNACK return code; the connection never becomes a session. */
  private void refuseConnect(ConnectRules.Refusal refusal) {
    refused(refusal.rejection(), refusal.message());
    endpoint.reject(refusal.code()); // writes the CONNACK, then closes (§3.2.2.3)
  }

  private void refused(String code, String message) {
    if (phase == Phase.ENDED || phase == Phase.OPEN) {
      return;
    }
    phase = Phase.ENDED;
    services.context().owner().cancelTimer(connectTimer);
    log.debug("mqtt_rejected remote={} code={} {}", remote, code, message);
    String deviceId = endpoint != null ? endpoint.clientIdentifier() : requestedClientId;
    services.table().reject(new Rejection(TRANSPORT, remote, deviceId, code, message));
  }
}

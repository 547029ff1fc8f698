package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty;
import io.netty.handler.codec.mqtt.MqttProperties.MqttProperty;
import io.netty.handler.codec.mqtt.MqttProperties.StringProperty;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;

/**
 * The MQTT rules of connecting and ending, as pure functions of the protocol version and the
 * packets.
 */
final class ConnectRules {

  /** MQTT 5 Session Expiry Interval meaning "never expires" (§3.1.2.11.2). */
  static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

  /**
   * MQTT 3.1 (protocol "MQIsdp", level 3): a client id is 1 to 23 characters, otherwise CONNACK 2
   * Identifier Rejected (MQTT V3.1 §3.1, "Client Identifier"). Netty's decoder applies this limit
   * to level 3 only; 3.1.1 and 5 ids may be longer (§3.1.3.1), up to the device id limit.
   */
  static final int MQTT_3_1_MAX_CLIENT_ID_LENGTH = 23;

  private ConnectRules() {}

  /**
   * Why a CONNECT is refused: the CONNACK code, the {@code sessions.rejected} code, an explanation.
   */
  record Refusal(MqttConnectReturnCode code, String rejection, String message) {

    /** The refusal on the wire: the CONNACK, or for a null code (3.1.x) just the close. */
    MqttEnd end() {
      return code == null ? MqttEnd.CLOSE : MqttEnd.connack(code);
    }
  }

  /**
   * The rules checked before vertx-mqtt sees a CONNECT: MQTT 3.1.x's password without a user name,
   * then the will's ({@link WillRules}). A refusal without a code closes the connection.
   *
   * @return null to go on
   */
  static Refusal refuseEarly(MqttConnectMessage connect) {
    MqttConnectVariableHeader header = connect.variableHeader();
    if (!isV5(header.version()) && header.hasPassword() && !header.hasUserName()) {
      // [MQTT-3.1.2-22] (3.1.1): no Password Flag without the User Name Flag; MQTT 5 allows it
      // (§3.1.2.9). A 3.1.1 protocol violation closes the connection ([MQTT-4.8.0-1]).
      return new Refusal(null, Frames.PROTOCOL_ERROR, "a password without a user name");
    }
    return WillRules.refuse(connect);
  }

  /**
   * The broker's own admission rules for a CONNECT that vertx-mqtt found well-formed, before its
   * credentials are checked ({@link DeviceAuth#check}): the client id is the device id, so it must
   * fit one.
   *
   * @param clientId the client id the session will have (the CONNECT's, the client certificate's,
   *     or one vertx-mqtt assigned)
   * @return null to go on
   */
  static Refusal admit(MqttEndpoint endpoint, String clientId) {
    int version = endpoint.protocolVersion();
    if (clientId.length() > Frames.MAX_DEVICE_ID_LENGTH) {
      return new Refusal(
          badClientId(version), Frames.BAD_HELLO, "client id longer than 128 characters");
    }
    if (isV5(version)
        && endpoint.connectProperties().getProperty(MqttProperties.AUTHENTICATION_METHOD) != null) {
      // [MQTT-4.12.0-1]: enhanced authentication is not supported; 0x8C, and close.
      return new Refusal(
          MqttConnectReturnCode.CONNECTION_REFUSED_BAD_AUTHENTICATION_METHOD,
          Frames.AUTH_FAILED,
          "enhanced authentication (Authentication Method) is not supported");
    }
    return null;
  }

  static boolean isV5(int protocolVersion) {
    return protocolVersion >= MqttVersion.MQTT_5.protocolLevel();
  }

  /**
   * The heartbeat to ask the session table for. Keep Alive 0 turns the keep-alive off (§3.1.2.10);
   * otherwise the client's value, lowered to the configured maximum. The table then applies 1.5 ×
   * (§3.1.2.10) and its own clamps.
   */
  static long requestedHeartbeatMs(int keepAliveSeconds, int maxKeepAliveSeconds) {
    return keepAliveSeconds == 0 ? 0 : Math.min(keepAliveSeconds, maxKeepAliveSeconds) * 1000L;
  }

  /**
   * The Server Keep Alive to put in an MQTT 5 CONNACK (§3.2.2.3.14) when the granted heartbeat
   * differs from what the client asked for; null when it does not.
   */
  static Integer serverKeepAlive(int keepAliveSeconds, int grantedHeartbeatMs) {
    if (grantedHeartbeatMs == keepAliveSeconds * 1000L) {
      return null;
    }
    return (int)
        Math.min(MqttOptions.PROTOCOL_MAX_KEEP_ALIVE_SECONDS, (grantedHeartbeatMs + 999L) / 1000L);
  }

  /**
   * Whether the session state outlives the connection: MQTT 3.1.1 when Clean Session is 0
   * (§3.1.2.4); MQTT 5 when the Session Expiry Interval is above 0 (§3.1.2.11.2), whatever Clean
   * Start says.
   */
  static long sessionExpirySeconds(
      int protocolVersion, boolean clean, MqttProperties connectProperties) {
    if (!isV5(protocolVersion)) {
      return clean ? 0 : NEVER_EXPIRES;
    }
    MqttProperty<?> expiry = connectProperties.getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
    return expiry == null ? 0 : Integer.toUnsignedLong((Integer) expiry.value());
  }

  /**
   * §3.14.2.2.2: a DISCONNECT that sets a non-zero Session Expiry Interval after a CONNECT whose
   * interval was 0 (or absent) is a Protocol Error, "not a valid DISCONNECT packet".
   */
  static boolean disconnectRaisesZeroExpiry(MqttProperties disconnectProperties, long current) {
    return current == 0 && sessionExpiryOnDisconnect(disconnectProperties, 0) != 0;
  }

  /**
   * §3.14.2.2.2: an MQTT 5 DISCONNECT may change the Session Expiry Interval; otherwise {@code
   * current}.
   */
  static long sessionExpiryOnDisconnect(MqttProperties disconnectProperties, long current) {
    MqttProperty<?> expiry =
        disconnectProperties == null
            ? null
            : disconnectProperties.getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
    return expiry == null ? current : Integer.toUnsignedLong((Integer) expiry.value());
  }

  /**
   * The largest whole packet this broker accepts, as MQTT 5's Maximum Packet Size counts it (the
   * fixed header included, §3.2.2.3.6), when the decoder bounds the Remaining Length by {@code
   * maxMessageBytes}: one header byte, the Remaining Length's own 1–4 bytes, and that many more.
   */
  static long maxPacketBytes(int maxMessageBytes) {
    int lengthBytes =
        maxMessageBytes < 128
            ? 1
            : maxMessageBytes < 16_384 ? 2 : maxMessageBytes < 2_097_152 ? 3 : 4;
    return 1L + lengthBytes + maxMessageBytes;
  }

  /**
   * MQTT 5 CONNACK properties: what this broker does not support, and what it chose for the client.
   */
  static MqttProperties connackProperties(
      int protocolVersion, String assignedClientId, Integer serverKeepAlive, int maxMessageBytes) {
    if (!isV5(protocolVersion)) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    // §3.2.2.3.6: clients must not send bigger packets; a bigger one gets DISCONNECT 0x95.
    properties.add(
        new IntegerProperty(
            MqttProperties.MAXIMUM_PACKET_SIZE, (int) maxPacketBytes(maxMessageBytes)));
    properties.add(new IntegerProperty(MqttProperties.RETAIN_AVAILABLE, 0));
    properties.add(new IntegerProperty(MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, 0));
    properties.add(new IntegerProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0));
    if (assignedClientId != null) {
      // §3.2.2.3.7: a server that assigns a client id MUST return it.
      properties.add(
          new StringProperty(MqttProperties.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId));
    }
    if (serverKeepAlive != null) {
      properties.add(new IntegerProperty(MqttProperties.SERVER_KEEP_ALIVE, serverKeepAlive));
    }
    return properties;
  }

  /**
   * CONNACK for a client id this broker will not use: 0x02 (3.1.1 §3.2.2.3) or 0x85 (5 §3.2.2.2).
   */
  static MqttConnectReturnCode badClientId(int protocolVersion) {
    return isV5(protocolVersion)
        ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
        : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED;
  }

  /**
   * CONNACK for credentials that do not authenticate the client (a wrong token or password, an
   * unknown user, none at all): MQTT 5 0x86 "Bad User Name or Password: the data in the User Name
   * or Password is not accepted by the Server" (§3.2.2.2); MQTT 3.1.1 0x05 "Connection Refused, not
   * authorized: the Client is not authorized to connect" (§3.2.2.3, Table 3.1), since its 0x04 "bad
   * user name or password" means "the data in the user name or password is malformed", which a
   * well-formed wrong password is not.
   */
  static MqttConnectReturnCode badCredentials(int protocolVersion) {
    return isV5(protocolVersion)
        ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
        : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
  }

  /** CONNACK when the session table could not open the session: 0x03 (3.1.1) or 0x88 (5). */
  static MqttConnectReturnCode serverUnavailable(int protocolVersion) {
    return isV5(protocolVersion)
        ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
        : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
  }

  /**
   * The CONNACK that refuses a device banned for flapping (it ended too many sessions too fast).
   * MQTT 5 §3.2.2.2: 0x9F "Connection rate exceeded: the connection rate limit has been exceeded" —
   * what happened, and a limit that lifts by itself; not 0x8A "Banned", which the table defines as
   * "banned by administrative action. Contact the server administrator". MQTT 3.1.1 §3.2.2.3, Table
   * 3.1: 0x03 "Server unavailable" — the service refuses this connection for now; not 0x05 "not
   * authorized", which would tell the device its credentials are wrong.
   */
  static MqttConnectReturnCode flapping(int protocolVersion) {
    return isV5(protocolVersion)
        ? MqttConnectReturnCode.CONNECTION_REFUSED_CONNECTION_RATE_EXCEEDED
        : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
  }

  /**
   * The MQTT 5 DISCONNECT reason code (§3.14.2.1) that tells a client why the broker ended its
   * session.
   */
  static MqttDisconnectReasonCode disconnectCode(CloseReason reason) {
    return switch (reason) {
      case TIMEOUT -> MqttDisconnectReasonCode.KEEP_ALIVE_TIMEOUT;
      case TAKEN_OVER -> MqttDisconnectReasonCode.SESSION_TAKEN_OVER;
      case KICKED -> MqttDisconnectReasonCode.ADMINISTRATIVE_ACTION;
      case SHUTDOWN -> MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN;
      case PROTOCOL_ERROR -> MqttDisconnectReasonCode.PROTOCOL_ERROR;
      default -> MqttDisconnectReasonCode.UNSPECIFIED_ERROR;
    };
  }
}

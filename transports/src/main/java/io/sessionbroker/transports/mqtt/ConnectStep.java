package io.sessionbroker.transports.mqtt;

import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.link.Link;
import io.vertx.core.AsyncResult;
import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import java.util.function.Consumer;

/**
 * The step of one CONNECT between vertx-mqtt's acceptance of its form and the session table: the
 * session's client id, the broker's CONNECT rules, the credentials (checked off the event loop),
 * the client's ACL and its will's right to be published. A refusal goes out through the {@link
 * Link} here; an admitted CONNECT goes back to its {@link MqttLink} as an {@link Admitted}, which
 * opens the session. One per CONNECT, confined to the connection's event loop, and dropped once it
 * has decided.
 */
final class ConnectStep {

  /**
   * What an admitted CONNECT settled.
   *
   * @param user the user the password file authenticated (MQTT User Name), or null
   * @param will the will to publish when the session ends, or null
   * @param acl the client's topic rights
   * @param sessionExpirySeconds how long the session outlives its connection (MQTT 5; 3.1.1: 0 or
   *     forever by the clean-session flag)
   * @param heartbeatMs the session's keep-alive as the table counts it
   */
  record Admitted(
      String user,
      MqttWill will,
      TopicAcl.Client acl,
      long sessionExpirySeconds,
      long heartbeatMs) {}

  private final LinkServices services;
  private final Link<MqttEnd> link;
  private final MqttEndpoint endpoint;
  private final String requestedClientId;
  private final DeviceAuth auth;
  private final String clientId;

  /**
   * @param requestedClientId the CONNECT's client id as the client sent it (null or empty: none)
   */
  ConnectStep(
      LinkServices services, Link<MqttEnd> link, MqttEndpoint endpoint, String requestedClientId) {
    this.services = services;
    this.link = link;
    this.endpoint = endpoint;
    this.requestedClientId = requestedClientId;
    this.auth =
        services.secure() ? services.auth().forPeer(endpoint.sslSession()) : services.auth();
    boolean unnamed = requestedClientId == null || requestedClientId.isEmpty();
    // A client that gives no client id ([MQTT-3.1.3-6] lets the server assign one) over a
    // connection whose client certificate names a device is that device.
    this.clientId =
        unnamed && auth.certifiedDeviceId() != null
            ? auth.certifiedDeviceId()
            : endpoint.clientIdentifier();
  }

  /**
   * The session's client id: the CONNECT's, else the client certificate's name, else one vertx-mqtt
   * assigned.
   */
  String clientId() {
    return clientId;
  }

  /**
   * Applies the broker's CONNECT rules, then checks the credentials; {@code admitted} runs on the
   * event loop once they pass, unless a refusal, the CONNECT deadline or the socket's loss came
   * first.
   */
  void check(Consumer<Admitted> admitted) {
    ConnectRules.Refusal refusal = ConnectRules.admit(endpoint, clientId);
    if (refusal != null) {
      refused(refusal.rejection(), refusal.message(), MqttEnd.connack(refusal.code()));
      return;
    }
    link.checking();
    MqttAuth credentials = endpoint.auth();
    auth.check(
            link.context(),
            clientId,
            credentials == null ? null : credentials.getUsername(),
            credentials == null ? null : credentials.getPassword())
        .onComplete(checked -> onChecked(checked, admitted));
  }

  /** The CONNECT's credentials are checked: admitted, or CONNACK 0x86 / 0x05 after the delay. */
  private void onChecked(AsyncResult<DeviceAuth.Verdict> checked, Consumer<Admitted> admitted) {
    if (link.state() != Link.State.CHECKING) {
      return; // the CONNECT deadline or the socket's loss came first
    }
    DeviceAuth.Verdict verdict = DeviceAuth.Verdict.of(checked);
    if (!verdict.accepted()) {
      link.refuse(
          Frames.AUTH_FAILED,
          verdict.message(),
          clientId,
          MqttEnd.connack(ConnectRules.badCredentials(endpoint.protocolVersion())),
          verdict.delayMs(),
          verdict.report());
      return;
    }
    MqttWill will =
        endpoint.will() != null && endpoint.will().isWillFlag() ? endpoint.will() : null;
    // %u and `user` sections name a user only the password file vouched for (a token or a
    // certificate authenticates the client id, not the user name); with authentication off
    // (loopback
    // only) the CONNECT's user name is all there is.
    String aclUser =
        services.auth().required()
            ? verdict.user()
            : endpoint.auth() == null ? null : endpoint.auth().getUsername();
    TopicAcl.Client acl = services.acl().forClient(clientId, aclUser);
    if (will != null && !acl.now().mayPublish(will.getWillTopic())) {
      services.denials().add(AclDenials.Action.WILL);
      ConnectRules.Refusal denied = WillRules.notAuthorized(endpoint.protocolVersion(), will);
      refused(denied.rejection(), denied.message(), MqttEnd.connack(denied.code()));
      return;
    }
    long sessionExpirySeconds =
        ConnectRules.sessionExpirySeconds(
            endpoint.protocolVersion(), endpoint.isCleanSession(), endpoint.connectProperties());
    long heartbeatMs =
        ConnectRules.requestedHeartbeatMs(
            endpoint.keepAliveTimeSeconds(), services.options().maxKeepAliveSeconds());
    admitted.accept(new Admitted(verdict.user(), will, acl, sessionExpirySeconds, heartbeatMs));
  }

  /**
   * The connection never becomes a session: a {@code sessions.rejected} event, and {@code end} on
   * the wire.
   */
  private void refused(String code, String message, MqttEnd end) {
    link.reject(code, message, clientId != null ? clientId : requestedClientId, end);
  }
}

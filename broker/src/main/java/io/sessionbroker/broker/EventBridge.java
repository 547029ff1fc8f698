package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.tls.CertificateReloader;
import io.sessionbroker.transports.tls.ListenerTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import java.util.List;

/**
 * The TCP event bus bridge: lets a program in any language subscribe to the published events
 * ({@code sessions.opened}, {@code sessions.closed}, {@code sessions.rejected}, {@code
 * devices.inbound}) and call {@code sessions.admin.*} and {@code devices.command} over a plain
 * socket (4-byte length + JSON frames); nothing else. Frames are bounded and checked before the
 * bridge reads them ({@link BridgeFrames}).
 *
 * <p>Subscribing is allowed on the event addresses by name, not by a pattern such as {@code
 * sessions.*}: a bridge subscription is a consumer like any other, so on a request address ({@code
 * sessions.admin.kick}, a node's {@code sessions.node.<id>.admin.*} or {@code .takeover}) it would
 * take its turn in the round robin and receive requests meant for the broker.
 */
final class EventBridge {

  /** The addresses a client may subscribe to: the events the broker publishes (docs/events.md). */
  static final List<String> PUBLISHED =
      List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND);

  private EventBridge() {}

  /**
   * @param adminToken {@code http.adminToken}: when not empty, every frame must carry it as {@code
   *     "headers":{"authorization":"Bearer <token>"}}
   */
  static Future<TcpEventBusBridge> start(
      Vertx vertx, BrokerConfig.BridgeOptions options, String adminToken) {
    TcpEventBusBridge bridge = TcpEventBusBridge.create(vertx, permissions(new BridgeOptions()));
    BridgeFrames.install(bridge, options, PUBLISHED::contains, adminToken);
    return bridge.listen(options.port(), options.host());
  }

  /**
   * The same bridge over TLS on {@code tls.port()}: its frames go through the TLS layer first, then
   * the same {@link BridgeFrames} bounds; the certificate is re-read when its files change.
   *
   * @return the bound port
   */
  static Future<Integer> startTls(
      Vertx vertx, BrokerConfig.BridgeOptions options, ListenerTls tls, String adminToken) {
    TcpEventBusBridge bridge =
        TcpEventBusBridge.create(
            vertx, permissions(new BridgeOptions()), tls.options().applyTo(new NetServerOptions()));
    NetServer server = BridgeFrames.install(bridge, options, PUBLISHED::contains, adminToken);
    return bridge
        .listen(tls.port(), options.host())
        .onSuccess(
            b ->
                new CertificateReloader(
                        vertx, tls.options(), "bridge", o -> server.updateSSLOptions(o, true))
                    .start())
        .map(b -> server.actualPort());
  }

  /**
   * What any bridge may do, the TCP one and the SockJS one alike: send to {@code sessions.admin.*}
   * and {@code devices.command}, subscribe to the published events.
   */
  static <T extends BridgeOptions> T permissions(T options) {
    options.addInboundPermitted(new PermittedOptions().setAddressRegex("sessions\\.admin\\..+"));
    options.addInboundPermitted(new PermittedOptions().setAddress(Addresses.COMMAND));
    PUBLISHED.forEach(
        address -> options.addOutboundPermitted(new PermittedOptions().setAddress(address)));
    return options;
  }

  /**
   * The SockJS bridge's event hook: a {@code send} or {@code publish} with a field the bridge reads
   * as another JSON type ({@link BridgeFrameCheck#fieldsReadable}, e.g. {@code headers} that is not
   * an object) is refused, which vertx-web answers {@code {"type":"err","body":"rejected"}}, the
   * connection going on; unchecked, the bridge threw a {@code ClassCastException} on the event loop
   * and answered nothing. Every other event passes.
   */
  static void checkSockJsFrame(BridgeEvent event) {
    JsonObject frame = event.getRawMessage();
    boolean sent = event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH;
    event.complete(!sent || frame == null || BridgeFrameCheck.fieldsReadable(frame));
  }
}

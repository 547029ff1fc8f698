package io.sessionbroker.broker;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;

/**
 * The TCP event bus bridge: lets a program in any language subscribe to {@code sessions.*} and
 * {@code devices.*} and call {@code sessions.admin.*} over a plain socket (4-byte length + JSON frames).
 */
final class EventBridge {

  private EventBridge() {}

  static Future<TcpEventBusBridge> start(Vertx vertx, BrokerConfig.BridgeOptions options) {
    BridgeOptions permitted = new BridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("sessions\\..+"))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("devices\\..+"))
        .addInboundPermitted(new PermittedOptions().setAddressRegex("sessions\\.admin\\..+"));
    return TcpEventBusBridge.create(vertx, permitted).listen(options.port(), options.host());
  }
}

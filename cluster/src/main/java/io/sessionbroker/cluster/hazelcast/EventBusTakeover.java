package io.sessionbroker.cluster.hazelcast;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.DeviceDirectory;
import io.sessionbroker.cluster.RemoteTakeover;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takeover across nodes: the node that claimed a device tells the previous holder's node, on that
 * node's own event bus address {@code sessions.node.<nodeId>.takeover}, to close the old session
 * with {@code TAKEN_OVER}. If that node is gone, its sessions are announced by {@link
 * NodeLossWatch} instead.
 */
public final class EventBusTakeover implements RemoteTakeover {

  private static final Logger log = LoggerFactory.getLogger(EventBusTakeover.class);

  private final EventBus bus;

  public EventBusTakeover(EventBus bus) {
    this.bus = bus;
  }

  public static String address(String nodeId) {
    return Addresses.ofNode(nodeId, "takeover");
  }

  /** Serves takeovers addressed to this node. */
  public static Future<Void> serve(EventBus bus, String nodeId, SessionTable table) {
    MessageConsumer<JsonObject> consumer =
        bus.consumer(
            address(nodeId),
            message -> table.close(message.body().getLong("sessionId"), CloseReason.TAKEN_OVER));
    return consumer.completion();
  }

  @Override
  public void takeOver(DeviceDirectory.Holder holder, String deviceId) {
    log.debug("takeover_remote device={} node={}", deviceId, holder.nodeId());
    bus.send(
        address(holder.nodeId()),
        new JsonObject().put("deviceId", deviceId).put("sessionId", holder.sessionId()));
  }
}

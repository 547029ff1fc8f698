package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;

/**
 * Publishes session events on the Vert.x event bus (cluster-wide when the broker is clustered):
 * opens, closes and rejections through the {@link EventPipeline}, which numbers them; device
 * traffic directly.
 */
public final class EventBusEvents implements SessionEvents {

  private final EventBus bus;
  private final EventPipeline pipeline;
  private final String nodeId;

  public EventBusEvents(EventBus bus, EventPipeline pipeline, String nodeId) {
    this.bus = bus;
    this.pipeline = pipeline;
    this.nodeId = nodeId;
  }

  @Override
  public void opened(Session session, long at) {
    pipeline.publish(Addresses.OPENED, SessionJson.opened(session, nodeId, at));
  }

  @Override
  public void closed(Session session, CloseReason reason, long at) {
    pipeline.publish(Addresses.CLOSED, CloseEvent.of(session, nodeId, reason, at).toJson());
  }

  @Override
  public Future<Void> logged() {
    return pipeline.appended();
  }

  @Override
  public void rejected(Rejection rejection, long at) {
    pipeline.publish(Addresses.REJECTED, SessionJson.rejected(rejection, nodeId, at));
  }

  @Override
  public void inbound(Session session, String topic, Object payload, long at) {
    bus.publish(Addresses.INBOUND, SessionJson.inbound(session, nodeId, topic, payload, at));
  }

  @Override
  public void batch(Runnable work) {
    pipeline.inOneAppend(work);
  }
}

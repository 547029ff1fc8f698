package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies where each session event goes on the event bus: opens, closes and rejections numbered
 * through the event log, device traffic straight out without a number.
 */
@Timeout(30)
class EventBusEventsTest {

  private final Vertx vertx = Vertx.vertx();
  private final LocalEventLog log = new LocalEventLog(100);
  private final EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
  private final EventBusEvents events = new EventBusEvents(vertx.eventBus(), pipeline, "node-a");
  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * Verifies that each event is published on its address, numbered in order unless it is device
   * traffic.
   */
  @Test
  void eachEventGoesToItsAddressAndOnlyTrafficIsUnnumbered() throws Exception {
    // given
    for (String address :
        List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND)) {
      vertx
          .eventBus()
          .<JsonObject>consumer(
              address,
              m ->
                  received.add(
                      address
                          + " "
                          + m.body().getValue("seq")
                          + " "
                          + m.body().getString("deviceId")
                          + " "
                          + m.body().getString("node")))
          .completion()
          .await(10, TimeUnit.SECONDS);
    }
    Session session =
        new Session(
            1,
            new OpenRequest("bus-1", "udp", null, 1_000, null, (s, r) -> {}),
            new Liveness(1_000, 1_500),
            1_000);

    // when
    events.opened(session, 1_000);
    events.inbound(session, "t", 1, 1_001);
    events.rejected(new Rejection("udp", "127.0.0.1:9", "bus-2", "bad_ticket", "no"), 1_002);
    events.closed(session, CloseReason.CLIENT_CLOSED, 1_003);

    // then
    List<String> all = List.of(next(), next(), next(), next());
    assertThat(all)
        .containsExactlyInAnyOrder(
            Addresses.OPENED + " 0 bus-1 node-a",
            Addresses.INBOUND + " null bus-1 node-a",
            Addresses.REJECTED + " 1 bus-2 node-a",
            Addresses.CLOSED + " 2 bus-1 node-a");
    assertThat(pipeline.eventLog()).isSameAs(log);
    assertThat(log.read(0, 10).result().getJsonArray("events")).hasSize(3);
  }

  private String next() throws InterruptedException {
    String event = received.poll(10, TimeUnit.SECONDS);
    assertThat(event).as("an event within 10 s").isNotNull();
    return event;
  }
}

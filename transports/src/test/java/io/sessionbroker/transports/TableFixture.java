package io.sessionbroker.transports;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.LocalDirectory;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A standalone session table on a real Vert.x instance, recording every event published on the event bus,
 * for transport integration tests. Heartbeats down to 100 ms are granted so tests can watch real timeouts.
 */
public final class TableFixture implements AutoCloseable {

  public static final TableOptions FAST = new TableOptions(10, 250, 30_000, 100, 300_000, 1.5, 100, 900_000);

  public final Vertx vertx;
  public final SessionTable table;
  private final List<Event> events = new java.util.ArrayList<>();

  /** An event as published: its address and JSON body. */
  public record Event(String address, JsonObject body) {}

  public TableFixture() throws Exception {
    this(FAST);
  }

  public TableFixture(TableOptions options) throws Exception {
    vertx = Vertx.vertx();
    for (String address : List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND)) {
      vertx.eventBus().<JsonObject>consumer(address, m -> record(new Event(address, m.body())));
    }
    SessionTableVerticle verticle =
        new SessionTableVerticle(options, Clock.monotonic(), "test-node");
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    table = verticle.table();
  }

  /**
   * Waits for an event on {@code address} that matches and that no earlier call returned; fails after
   * {@code timeout}. Events that do not match stay available to later calls.
   */
  public synchronized JsonObject await(String address, Predicate<JsonObject> matching, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Event event : events) {
        if (event.address().equals(address) && matching.test(event.body())) {
          events.remove(event);
          return event.body();
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no matching event on " + address + " within " + timeout + "; seen: " + events);
      }
      TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, 50_000_000L));
    }
  }

  public JsonObject await(String address, Predicate<JsonObject> matching) throws InterruptedException {
    return await(address, matching, Duration.ofSeconds(10));
  }

  /** The next event on {@code address} for {@code deviceId}. */
  public JsonObject await(String address, String deviceId) throws InterruptedException {
    return await(address, e -> deviceId.equals(e.getString("deviceId")));
  }

  /** Every recorded event not yet returned by {@link #await}, e.g. to assert that nothing else happened. */
  public synchronized List<Event> pending() {
    return List.copyOf(events);
  }

  private synchronized void record(Event event) {
    events.add(event);
    notifyAll();
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}

package io.sessionbroker.transports;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.testkit.EventContract;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * A standalone session table on a real Vert.x instance, recording every event published on the
 * event bus, for transport integration tests. Heartbeats down to 100 ms are granted so tests can
 * watch real timeouts.
 *
 * <p>Every event also goes to an {@link EventContract}: {@link #close} shuts the table down (every
 * open session closed with {@code SHUTDOWN}) and fails if the events broke the contract.
 */
public final class TableFixture implements AutoCloseable {

  public static final TableOptions FAST =
      TableOptions.builder()
          .tickMs(10)
          .maxEvictionsPerTick(250)
          .minHeartbeatMs(100)
          .minTimeoutMs(100)
          .build();

  public final Vertx vertx;
  public final SessionTable table;
  public final EventContract contract;
  private final List<Event> events = new java.util.ArrayList<>();

  /**
   * The one context all recording consumers run on, so events are recorded in the order they were
   * published.
   */
  private final Context recording;

  /** An event as published: its address and JSON body. */
  public record Event(String address, JsonObject body) {}

  public TableFixture() throws Exception {
    this(FAST);
  }

  public TableFixture(TableOptions options) throws Exception {
    this(options, new VertxOptions());
  }

  /**
   * With Vert.x made from {@code vertxOptions}, e.g. on the native transport as the broker runs it.
   */
  public TableFixture(TableOptions options, VertxOptions vertxOptions) throws Exception {
    this(options, Vertx.vertx(vertxOptions));
  }

  /** On Vert.x with this I/O transport, as the broker's {@code node.ioTransport} picks it. */
  public TableFixture(TableOptions options, VertxOptions vertxOptions, Transport transport)
      throws Exception {
    this(options, Vertx.builder().with(vertxOptions).withTransport(transport).build());
  }

  private TableFixture(TableOptions options, Vertx vertx) throws Exception {
    contract = new EventContract("the test's session table", options.tickMs(), this::settle);
    this.vertx = vertx;
    recording = vertx.getOrCreateContext();
    Promise<Void> registered = Promise.promise();
    recording.runOnContext(
        v -> {
          List<io.vertx.core.Future<Void>> all = new java.util.ArrayList<>();
          for (String address :
              List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND)) {
            all.add(
                vertx
                    .eventBus()
                    .<JsonObject>consumer(address, m -> record(new Event(address, m.body())))
                    .completion());
          }
          io.vertx.core.Future.all(all).<Void>mapEmpty().onComplete(registered);
        });
    registered.future().await(10, TimeUnit.SECONDS);
    SessionTableVerticle verticle =
        new SessionTableVerticle(options, Clock.monotonic(), "test-node");
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    table = verticle.table();
  }

  /**
   * Returns once every event the table published before the call has been recorded: the table's own
   * thread has run everything queued before (a count is queued behind it), and the recording
   * context has delivered what was published meanwhile (a task queued on it runs after them).
   */
  /**
   * Waits until the table's clock reads later than {@code instant}, so that proof of life sent
   * after it is seen at a later time (the clock ticks in milliseconds).
   */
  public void clockPast(long instant) {
    Awaitility.await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> table.clock().millis() > instant);
  }

  public void settle() throws Exception {
    table.admin().count().await(10, TimeUnit.SECONDS);
    Promise<Void> drained = Promise.promise();
    recording.runOnContext(v -> drained.complete());
    drained.future().await(10, TimeUnit.SECONDS);
  }

  /**
   * Waits for an event on {@code address} that matches and that no earlier call returned; fails
   * after {@code timeout}. Events that do not match stay available to later calls.
   */
  public synchronized JsonObject await(
      String address, Predicate<JsonObject> matching, Duration timeout)
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
        throw new AssertionError(
            "no matching event on " + address + " within " + timeout + "; seen: " + events);
      }
      TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, 50_000_000L));
    }
  }

  public JsonObject await(String address, Predicate<JsonObject> matching)
      throws InterruptedException {
    return await(address, matching, Duration.ofSeconds(10));
  }

  /** The next event on {@code address} for {@code deviceId}. */
  public JsonObject await(String address, String deviceId) throws InterruptedException {
    return await(address, e -> deviceId.equals(e.getString("deviceId")));
  }

  /**
   * Every recorded event not yet returned by {@link #await}, e.g. to assert that nothing else
   * happened.
   */
  public synchronized List<Event> pending() {
    return List.copyOf(events);
  }

  /**
   * Forgets the recorded events not yet returned by {@link #await} (the contract keeps its own):
   * for a long-running test that publishes many events it never awaits, such as a fuzzer.
   */
  public synchronized void forget() {
    events.clear();
  }

  private synchronized void record(Event event) {
    contract.record(event.address(), event.body());
    events.add(event);
    notifyAll();
  }

  /**
   * Shuts the table down, checks the event contract on everything it published, and closes Vert.x.
   */
  @Override
  public void close() throws Exception {
    try {
      contract.shuttingDown();
      table.shutdown().await(10, TimeUnit.SECONDS);
      settle();
      contract.finish();
    } finally {
      contract.abandon();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}

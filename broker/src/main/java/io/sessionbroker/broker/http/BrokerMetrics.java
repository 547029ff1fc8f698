package io.sessionbroker.broker.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * This node's Prometheus metrics ({@code GET /metrics}, docs/operations.md): the sessions it holds,
 * opens, closes and rejections, eviction lateness, and what the transports count — beside the
 * event-bus, HTTP and JVM metrics of Vert.x's own Micrometer integration, which writes to the same
 * registry.
 *
 * <p>The session figures are read from this node's own {@code sessions.*} events rather than from
 * the table: the events are the contract (one open, exactly one close per session), they carry the
 * transport, reason and timing, and reading them costs the table's hot paths nothing. A cluster is
 * summed by Prometheus over its nodes, as usual; every series carries the node's id.
 */
public final class BrokerMetrics {

  /** Prefix of every series of ours, Prometheus style: {@code sessionbroker_sessions}. */
  static final String PREFIX = "sessionbroker.";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
  private final Map<CounterKey, Counter> counters = new ConcurrentHashMap<>();
  private final List<TransportCounter> held = new ArrayList<>();
  private String nodeId;
  private Timer lateness;

  /** Set last in {@link #start} (volatile): commands are counted from event loops once it is. */
  private volatile Timer commandRoundTrip;

  /**
   * Options that make Vert.x measure itself (event bus, HTTP, JVM) into this registry. Not its TCP
   * servers ({@code vertx_net_server_*}) nor its worker pools ({@code vertx_pool_*}): the first
   * keeps a metrics object per connection and counts the bytes of every read and write (a PINGREQ
   * is one of each), the second times every task handed to the session table's thread (two or more
   * per connect); issue 17 measured both on the connect path (docs/benchmarks.md, "Connect cost,
   * connection memory and PINGREQ"). Our own {@code sessionbroker_*} series count sessions per
   * transport.
   */
  public MicrometerMetricsOptions vertxOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
        .addDisabledMetricsCategory(MetricsDomain.NAMED_POOLS);
  }

  /** The factory to build Vert.x with, so that its metrics go to this registry. */
  public VertxMetricsFactory vertxFactory() {
    return new MicrometerMetricsFactory(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Starts counting this node's events; {@code nodeId} labels every series.
   *
   * @param counters what the transports count, by metric name ({@code udp.datagrams} with a {@code
   *     fate} ...), registered as Prometheus counters
   */
  public Future<Void> start(EventBus bus, String nodeId, List<TransportCounter> counters) {
    this.nodeId = nodeId;
    for (TransportName transport : TransportName.values()) {
      AtomicInteger count = open.computeIfAbsent(transport.id(), t -> new AtomicInteger());
      Gauge.builder(PREFIX + "sessions", count, AtomicInteger::get)
          .description("Sessions open on this node")
          .tags("transport", transport.id(), "node", nodeId)
          .register(registry);
    }
    lateness =
        Timer.builder(PREFIX + "eviction.lateness")
            .description(
                "TIMEOUT closes: time from the session's deadline (lastSeenAt + timeoutMs) to its close")
            .tags("node", nodeId)
            .serviceLevelObjectives(
                millis(1),
                millis(5),
                millis(10),
                millis(25),
                millis(50),
                millis(100),
                millis(250),
                millis(500),
                millis(1_000),
                millis(5_000))
            .register(registry);
    commandRoundTrip =
        Timer.builder(PREFIX + "command.round.trip")
            .description(
                "Commands answered by their devices: from the request's arrival to the device's reply")
            .tags("node", nodeId)
            .serviceLevelObjectives(
                millis(1),
                millis(2),
                millis(5),
                millis(10),
                millis(25),
                millis(50),
                millis(100),
                millis(250),
                millis(500),
                millis(1_000),
                millis(5_000),
                millis(10_000))
            .register(registry);
    for (TransportCounter counter : counters) {
      // Micrometer holds a function counter's state object weakly: kept here, or once collected
      // the series would read 0 (seen in a test).
      held.add(counter);
      FunctionCounter.builder(PREFIX + counter.name(), counter, c -> c.value().getAsLong())
          .description(counter.description())
          .tags(counter.tags())
          .tag("node", nodeId)
          .register(registry);
    }
    List<MessageConsumer<JsonObject>> consumers =
        List.of(
            bus.localConsumer(Addresses.OPENED, m -> opened(m.body())),
            bus.localConsumer(Addresses.CLOSED, m -> closed(m.body())),
            bus.localConsumer(Addresses.REJECTED, m -> rejected(m.body())));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /**
   * Clustered: {@code sessionbroker_cluster_partitions_safe}, 1 while this member's partitions have
   * their backups in sync (the next node may be taken down once every node says 1), 0 during a
   * migration (docs/cluster.md, "One fault at a time"). Call after {@link #start}.
   */
  public void partitionsSafe(BooleanSupplier safe) {
    Gauge.builder(PREFIX + "cluster.partitions.safe", () -> safe.getAsBoolean() ? 1 : 0)
        .description(
            "1 when the partitions this member owns have their backups in sync and none migrates, else 0")
        .tags("node", nodeId)
        .register(registry);
  }

  /**
   * A count a transport keeps (e.g. UDP datagrams of one fate), read when Prometheus scrapes.
   *
   * @param name the metric's name after the prefix, dotted ({@code udp.datagrams})
   * @param tags label pairs ({@code "fate", "accepted"})
   */
  public record TransportCounter(
      String name, String description, LongSupplier value, String... tags) {}

  private boolean mine(JsonObject event) {
    return nodeId.equals(event.getString("node"));
  }

  private void opened(JsonObject event) {
    if (!mine(event)) {
      return;
    }
    String transport = event.getString("transport");
    open.computeIfAbsent(transport, t -> new AtomicInteger()).incrementAndGet();
    counter("opens", "Sessions opened on this node", "transport", transport).increment();
  }

  private void closed(JsonObject event) {
    // NODE_LOST closes are announced by a survivor for another node's sessions: they count there.
    if (!mine(event) || CloseReason.NODE_LOST.name().equals(event.getString("reason"))) {
      return;
    }
    String transport = event.getString("transport");
    open.computeIfAbsent(transport, t -> new AtomicInteger()).decrementAndGet();
    String reason = event.getString("reason");
    counter("closes", "Sessions closed on this node", "transport", transport, "reason", reason)
        .increment();
    if (CloseReason.TIMEOUT.name().equals(reason)) {
      Long at = event.getLong("at");
      Long lastSeenAt = event.getLong("lastSeenAt");
      Long timeoutMs = event.getLong("timeoutMs");
      if (at != null && lastSeenAt != null && timeoutMs != null) {
        lateness.record(Math.max(0, at - lastSeenAt - timeoutMs), TimeUnit.MILLISECONDS);
      }
    }
  }

  private void rejected(JsonObject event) {
    if (!mine(event)) {
      return;
    }
    counter(
            "rejections",
            "Connections refused before they became a session",
            "transport",
            String.valueOf(event.getString("transport")),
            "code",
            String.valueOf(event.getString("code")))
        .increment();
  }

  /**
   * One command that entered at this node (docs/events.md, {@code devices.command}), by outcome;
   * the round trip of those the device answered. Ignored before {@link #start}.
   */
  public void command(String outcome, long nanos) {
    Timer roundTrip = commandRoundTrip;
    if (roundTrip == null) {
      return;
    }
    counter("commands", "Commands to devices sent from this node, by outcome", "outcome", outcome)
        .increment();
    if ("answered".equals(outcome)) {
      roundTrip.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The counter of {@code name} with {@code tags}, registered on first use. Cached: every open and
   * close counts one, and building a meter id (sorted tags) and looking it up in the registry cost
   * more than the count itself in a mass close.
   */
  private Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(
        new CounterKey(name, List.of(tags)),
        key ->
            Counter.builder(PREFIX + name)
                .description(description)
                .tags(tags)
                .tag("node", nodeId)
                .register(registry));
  }

  private record CounterKey(String name, List<String> tags) {}

  private static Duration millis(long ms) {
    return Duration.ofMillis(ms);
  }
}

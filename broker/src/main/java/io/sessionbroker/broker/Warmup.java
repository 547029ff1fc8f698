package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rehearsal of a mass expiry before the node reports ready ({@code node.warmupCloses}), so that
 * the first real one does not run its code in the interpreter while the JIT compiles it.
 *
 * <p>Why: a fresh broker's first mass expiry of 1,000 devices announced its closes 230–330 ms late
 * (p99) against 40–70 ms on a broker that had expired sessions before; in that window the JIT
 * compiler threads took about half of the CPU, compiling 500–600 methods of the close path (tiers
 * 2/3) for the first time, and the event loops ran it interpreted meanwhile (docs/benchmarks.md,
 * "Cold JVM (issues 16 and 17, fourth round)"). Classes are not the cost: 19 were loaded in that
 * window. A rehearsal of TCP alone left MQTT's, WebSocket's and UDP's own close paths cold (their
 * first expiry 2–4 times slower than warm: "Mass close, sixth round"), so each transport the node
 * listens on is rehearsed ({@link WarmupDevices}).
 *
 * <p>What runs: the real code of a session's life and end on every transport the node listens on —
 * {@link io.sessionbroker.transports.tcp.TcpTransport}, {@link
 * io.sessionbroker.transports.mqtt.MqttTransport}, {@link
 * io.sessionbroker.transports.websocket.WebSocketTransport}, {@link
 * io.sessionbroker.transports.udp.UdpTransport} and their connections, a {@link SessionTable} with
 * its timing wheel, its event pipeline and event log, the event bus, and the TCP event bus bridge
 * with {@link BridgeFrames} and a subscriber — in rounds of {@link #ROUND} devices per transport
 * that say hello, send one heartbeat and then go silent; the table's clock is moved past their
 * timeout and its tick expires them, so each round is a mass expiry: the transports' last words
 * ({@code bye} lines, frames and datagrams, the WebSocket close handshake, MQTT's close), the
 * closes, and the close events encoded and written to the subscriber.
 *
 * <p>What it touches: nothing of the node's. Everything runs on a Vert.x instance of its own (its
 * own event bus, no metrics, not clustered), started before the node's and closed before the node
 * starts: no event of the rehearsal reaches the node's bus, its bridge or its event log, no entry
 * reaches the cluster's directory, no session shows in the node's table or metrics. Its listeners
 * (the transports' and the bridge's) are bound to ephemeral ports of 127.0.0.1 while it runs,
 * before any of the node's listeners is bound; the transports' {@code listening} lines are held
 * back meanwhile. It is bounded by {@code node.warmupMaxMs}: what is not done then is dropped, and
 * a failure is logged and ignored — the node starts cold, as it did without the rehearsal.
 */
final class Warmup {

  private static final Logger log = LoggerFactory.getLogger(Warmup.class);

  /** Devices per round and transport: as many go silent at once as a mass expiry's tick evicts. */
  static final int ROUND = 500;

  /** How long a round's expiry may take before the clock is moved once more for stragglers. */
  private static final long STRAGGLERS_MS = 200;

  /**
   * What the rehearsal did, counted as the events reached its subscriber: expiries ({@code TIMEOUT}
   * closes) per transport, {@code NODE_LOST} closes; and how long it took.
   */
  record Result(Map<TransportName, Integer> closes, int nodeLostCloses, long tookMs) {

    /** The expiries of every transport. */
    int totalCloses() {
      return closes.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  private final Vertx vertx;
  private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
  private final long deadlineNanos;
  private final List<WarmupDevices> transports = new ArrayList<>();
  private SessionTable table;
  private EventPipeline pipeline;
  private final WarmupSubscriber subscriber = new WarmupSubscriber();
  private final Map<TransportName, Long> spentMs = new EnumMap<>(TransportName.class);

  private Warmup(Transport transport, long budgetMs) {
    this.vertx =
        Vertx.builder()
            .with(new VertxOptions().setPreferNativeTransport(true))
            .withTransport(transport)
            .build();
    this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  /** The transports {@code config} listens on: those the rehearsal runs. */
  static List<TransportName> listenersOf(BrokerConfig config) {
    List<TransportName> listeners = new ArrayList<>();
    if (config.tcp() != null) {
      listeners.add(TransportName.TCP);
    }
    if (config.udp() != null) {
      listeners.add(TransportName.UDP);
    }
    if (config.mqtt() != null) {
      listeners.add(TransportName.MQTT);
    }
    if (config.websocket() != null) {
      listeners.add(TransportName.WEBSOCKET);
    }
    return listeners;
  }

  /** A transport's options as the rehearsal binds it: an ephemeral port of 127.0.0.1. */
  static JsonObject loopback() {
    return new JsonObject().put("host", "127.0.0.1").put("port", 0);
  }

  /** Rehearses what {@code config} asks ({@code node.warmupCloses}) on the listeners it has. */
  static Result run(Transport transport, BrokerConfig config) {
    return run(
        transport,
        config.table(),
        listenersOf(config),
        config.warmupCloses(),
        config.warmupMaxMs());
  }

  /**
   * Rehearses {@code closes} expiries on each of {@code listeners}, and as many {@code NODE_LOST}
   * closes, on {@code transport}, the I/O transport the node will use; blocks until done, or until
   * {@code maxMs} have passed (then what is under way is dropped). Never throws: a failure is
   * logged and the result counts what was done.
   */
  static Result run(
      Transport transport,
      TableOptions table,
      List<TransportName> listeners,
      int closes,
      long maxMs) {
    return run(transport, table, listeners, closes, maxMs, WarmupDevices::of);
  }

  /**
   * {@link #run(Transport, TableOptions, List, int, long)} with the devices {@code devices} makes.
   */
  static Result run(
      Transport transport,
      TableOptions table,
      List<TransportName> listeners,
      int closes,
      long maxMs,
      Function<TransportName, WarmupDevices> devicesOf) {
    if (closes <= 0 || listeners.isEmpty()) {
      return new Result(Map.of(), 0, 0);
    }
    long started = System.nanoTime();
    Warmup warmup = new Warmup(transport, maxMs);
    int tried = 0;
    boolean cut = false;
    try {
      warmup.start(table, listeners, devicesOf);
      while (tried < closes) {
        if (System.nanoTime() >= warmup.deadlineNanos) {
          cut = true; // noticed between two rounds
          break;
        }
        int devices = Math.min(ROUND, closes - tried);
        String prefix = "warmup-" + tried + "-";
        for (WarmupDevices listener : warmup.transports) {
          warmup.expiry(listener, devices, prefix + listener.transport().id() + "-");
        }
        warmup.nodeLoss(devices, prefix);
        tried += devices;
      }
    } catch (Exception e) {
      // the bound doing its job (whichever wait noticed it first) is not a fault: no WARN
      cut = System.nanoTime() >= warmup.deadlineNanos;
      if (!cut) {
        log.warn("warmup_failed done=\"{}\"", warmup.subscriber, e);
      }
    } finally {
      warmup.close();
    }
    if (cut) {
      log.info("warmup_cut max_ms={} done=\"{}\"", maxMs, warmup.subscriber);
    }
    Map<TransportName, Integer> done = new EnumMap<>(TransportName.class);
    for (TransportName listener : listeners) {
      done.put(listener, warmup.subscriber.expiries(listener));
    }
    Result result =
        new Result(
            done,
            warmup.subscriber.nodeLost(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    log.info(
        "warmup_done closes={} by_transport={} node_lost_closes={} took_ms={} ms_by_transport={}",
        result.totalCloses(),
        result.closes(),
        result.nodeLostCloses(),
        result.tookMs(),
        warmup.spentMs);
    return result;
  }

  private void start(
      TableOptions options,
      List<TransportName> listeners,
      Function<TransportName, WarmupDevices> devicesOf)
      throws Exception {
    SessionTableVerticle tableVerticle =
        SessionTableVerticle.builder(options, now::get, "warmup").build();
    await(
        vertx.deployVerticle(
            tableVerticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    table = tableVerticle.table();
    pipeline = tableVerticle.pipeline();
    TcpEventBusBridge bridge =
        TcpEventBusBridge.create(vertx, EventBridge.permissions(new BridgeOptions()));
    var bridgeServer =
        BridgeFrames.install(
            bridge,
            new BrokerConfig.BridgeOptions(
                true,
                "127.0.0.1",
                0,
                BrokerConfig.BridgeOptions.DEFAULT_MAX_FRAME_BYTES,
                BrokerConfig.BridgeOptions.DEFAULT_MAX_BACKLOG_BYTES),
            EventBridge.PUBLISHED::contains,
            "");
    await(bridge.listen(0, "127.0.0.1"));
    ch.qos.logback.classic.Logger listenerLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.sessionbroker.transports");
    ch.qos.logback.classic.Level level = listenerLog.getLevel();
    // Their listening lines would name ports no operator can use: held back while they bind.
    listenerLog.setLevel(ch.qos.logback.classic.Level.WARN);
    try {
      for (TransportName listener : listeners) {
        WarmupDevices devices = devicesOf.apply(listener);
        await(devices.listen(vertx, table));
        transports.add(devices);
      }
    } finally {
      listenerLog.setLevel(level);
    }
    await(subscriber.connect(vertx, bridgeServer.actualPort()));
  }

  /**
   * One mass expiry of {@code devices} devices of one transport: hello, welcome, a heartbeat and
   * its answer, silence past the timeout, then the transport's last words and close on every
   * device's side and every close event on the subscriber's.
   */
  private void expiry(WarmupDevices listener, int devices, String prefix) throws Exception {
    long started = System.nanoTime();
    long eventsBefore = subscriber.closes();
    CountDownLatch alive = new CountDownLatch(devices);
    CountDownLatch ended = new CountDownLatch(devices);
    await(listener.open(devices, prefix, alive, ended));
    awaitLatch(alive);
    // Just past their timeout: the table's next ticks expire them all, as many per tick as in a
    // real mass expiry. Again if some are left: a device whose WebSocket answered a ping of the
    // broker's (on Vert.x's timer, not this clock) after the clock moved was touched at its time.
    do {
      now.addAndGet(table.options().negotiate(1_000).timeoutMs() + table.options().tickMs());
    } while (!ended.await(Math.min(STRAGGLERS_MS, remainingMs()), TimeUnit.MILLISECONDS)
        && System.nanoTime() < deadlineNanos);
    awaitLatch(ended);
    awaitEvents(eventsBefore + devices);
    spentMs.merge(
        listener.transport(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        Long::sum);
  }

  /**
   * The announcing half of a node loss of {@code devices} sessions: their {@code NODE_LOST} closes
   * built as a survivor builds them from the directory's entries and handed to the pipeline a batch
   * at a time ({@code NodeLossWatch}); the release from the directory is Hazelcast's, not
   * rehearsed.
   */
  private void nodeLoss(int devices, String prefix) throws Exception {
    long eventsBefore = subscriber.closes();
    List<JsonObject> lost = new ArrayList<>(devices);
    for (int i = 0; i < devices; i++) {
      lost.add(
          CloseEvent.nodeLost(prefix + "lost-" + i, i + 1L, "warmup-lost", "warmup", now.get())
              .transport("tcp")
              .remote("127.0.0.1:" + (10_000 + i))
              .epoch(1)
              .connectedAt(now.get() - 60_000)
              .timeoutMs(45_000)
              .toJson());
      if (lost.size() == EventPipeline.MAX_BATCH) {
        pipeline.publishAll(Addresses.CLOSED, lost);
        lost = new ArrayList<>();
      }
    }
    pipeline.publishAll(Addresses.CLOSED, lost);
    awaitEvents(eventsBefore + devices);
  }

  /** Until the subscriber has read {@code count} close events in all. */
  private void awaitEvents(long count) throws InterruptedException {
    while (subscriber.closes() < count) {
      if (System.nanoTime() >= deadlineNanos) {
        throw new IllegalStateException("node.warmupMaxMs ran out");
      }
      Thread.sleep(5); // the last events are on their way to the subscriber
    }
  }

  private void close() {
    ch.qos.logback.classic.Logger vertxLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.vertx");
    ch.qos.logback.classic.Level level = vertxLog.getLevel();
    // A rehearsal cut short by node.warmupMaxMs closes its devices' connections with its Vert.x,
    // and Vert.x's WebSocket client warns for each ("Connection evicted", up to 500 lines about no
    // connection of the node's): held back while the private Vert.x closes.
    vertxLog.setLevel(ch.qos.logback.classic.Level.ERROR);
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("warmup_close_failed", e);
    } finally {
      vertxLog.setLevel(level);
    }
  }

  private <T> T await(Future<T> future) throws Exception {
    return future.await(remainingMs(), TimeUnit.MILLISECONDS);
  }

  private void awaitLatch(CountDownLatch latch) throws Exception {
    if (!latch.await(remainingMs(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("node.warmupMaxMs ran out");
    }
  }

  /**
   * The time left, rounded up: a wait of it that times out has reached the deadline, and the cut is
   * logged as one (rounded down, a wait ended up to 1 ms early and the cut was logged as a failure,
   * {@code warmup_failed}, in a chaos run's restarted node).
   */
  private long remainingMs() {
    long nanos = deadlineNanos - System.nanoTime();
    return Math.max(1, (nanos + 999_999) / 1_000_000);
  }
}

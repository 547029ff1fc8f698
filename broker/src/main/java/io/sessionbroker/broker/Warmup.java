package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.core.transport.Transport;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * window.
 *
 * <p>What runs: the real code of a TCP session's life and end — {@link TcpTransport} and its
 * connections, a {@link SessionTable} with its timing wheel, its event pipeline and event log, the
 * event bus, and the TCP event bus bridge with {@link BridgeFrames} and a subscriber — in rounds of
 * {@link #ROUND} devices that say hello and then go silent; the table's clock is moved past their
 * timeout and its tick expires them, so each round is a mass expiry: bye frames, closes, close
 * events encoded and written to the subscriber.
 *
 * <p>What it touches: nothing of the node's. Everything runs on a Vert.x instance of its own (its
 * own event bus, no metrics, not clustered), started before the node's and closed before the node
 * starts: no event of the rehearsal reaches the node's bus, its bridge or its event log, no entry
 * reaches the cluster's directory, no session shows in the node's table or metrics. Its two
 * listeners (the transport's and the bridge's) are bound to an ephemeral port of 127.0.0.1 while it
 * runs, before any of the node's listeners is bound; the transport's {@code listener_up} line is
 * held back meanwhile. It is bounded by {@code node.warmupMaxMs}: what is not done then is dropped,
 * and a failure is logged and ignored — the node starts cold, as it did without the rehearsal.
 */
final class Warmup {

  private static final Logger log = LoggerFactory.getLogger(Warmup.class);

  /** Devices per round: how many go silent at once, as many as a mass expiry's tick evicts. */
  static final int ROUND = 500;

  /**
   * What the rehearsal did, counted as the events reached its subscriber: expiries ({@code TIMEOUT}
   * closes), {@code NODE_LOST} closes; and how long it took.
   */
  record Result(int closes, int nodeLostCloses, long tookMs) {}

  private final Vertx vertx;
  private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
  private final long deadlineNanos;
  private SessionTable table;
  private EventPipeline pipeline;
  private int devicePort;
  private NetClient client;
  private final AtomicLong closeEvents = new AtomicLong();
  private final AtomicLong nodeLostEvents = new AtomicLong();

  private Warmup(Transport transport, long budgetMs) {
    this.vertx =
        Vertx.builder()
            .with(new VertxOptions().setPreferNativeTransport(true))
            .withTransport(transport)
            .build();
    this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  /**
   * Rehearses {@code closes} expiries and as many {@code NODE_LOST} closes on {@code transport},
   * the I/O transport the node will use; blocks until done, or until {@code maxMs} have passed
   * (then what is under way is dropped). Never throws: a failure is logged and the result counts
   * what was done.
   */
  static Result run(Transport transport, TableOptions table, int closes, long maxMs) {
    if (closes <= 0) {
      return new Result(0, 0, 0);
    }
    long started = System.nanoTime();
    Warmup warmup = new Warmup(transport, maxMs);
    int tried = 0;
    try {
      warmup.start(table);
      while (tried < closes && System.nanoTime() < warmup.deadlineNanos) {
        int devices = Math.min(ROUND, closes - tried);
        warmup.round(devices, "warmup-" + tried + "-");
        tried += devices;
      }
    } catch (Exception e) {
      log.warn("warmup_failed closes_done={}", warmup.closeEvents.get(), e);
    } finally {
      warmup.close();
    }
    Result result =
        new Result(
            (int) warmup.closeEvents.get(),
            (int) warmup.nodeLostEvents.get(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    log.info(
        "warmup_done closes={} node_lost_closes={} took_ms={}",
        result.closes(),
        result.nodeLostCloses(),
        result.tookMs());
    return result;
  }

  private void start(TableOptions options) throws Exception {
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
    TcpTransport tcp =
        new TcpTransport(
            table,
            new TcpOptions(
                "127.0.0.1",
                0,
                TcpOptions.DEFAULT_HANDSHAKE_TIMEOUT_MS,
                TcpOptions.DEFAULT_MAX_FRAME_BYTES,
                TcpOptions.DEFAULT_KEEP_ALIVE_IDLE_S,
                TcpOptions.DEFAULT_KEEP_ALIVE_INTERVAL_S,
                TcpOptions.DEFAULT_KEEP_ALIVE_COUNT,
                TcpOptions.DEFAULT_MAX_CONNECTIONS),
            DeviceAuth.NONE);
    ch.qos.logback.classic.Logger listenerLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(TcpTransport.class);
    ch.qos.logback.classic.Level level = listenerLog.getLevel();
    // Its listener_up line would name a port no operator can use: held back while it binds.
    listenerLog.setLevel(ch.qos.logback.classic.Level.WARN);
    try {
      await(vertx.deployVerticle(tcp));
    } finally {
      listenerLog.setLevel(level);
    }
    devicePort = tcp.port();
    client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
    subscribe(await(client.connect(bridgeServer.actualPort(), "127.0.0.1")));
  }

  /** The bridge's subscriber: registers for opens and closes and counts the closes it reads. */
  private void subscribe(NetSocket socket) {
    RecordParser frames = RecordParser.newFixed(4);
    frames.handler(
        new io.vertx.core.Handler<>() {
          private boolean header = true;

          @Override
          public void handle(Buffer buffer) {
            if (header) {
              frames.fixedSizeMode(buffer.getInt(0));
            } else {
              JsonObject frame = new JsonObject(buffer); // decoded as a consumer would
              if (Addresses.CLOSED.equals(frame.getString("address"))) {
                boolean lost =
                    "NODE_LOST".equals(frame.getJsonObject("body").getString(CloseEvent.REASON));
                (lost ? nodeLostEvents : closeEvents).incrementAndGet();
              }
              frames.fixedSizeMode(4);
            }
            header = !header;
          }
        });
    socket.handler(frames);
    for (String address : List.of(Addresses.OPENED, Addresses.CLOSED)) {
      Buffer frame = new JsonObject().put("type", "register").put("address", address).toBuffer();
      socket.write(Buffer.buffer().appendInt(frame.length()).appendBuffer(frame));
    }
  }

  /**
   * One mass expiry of {@code devices} TCP devices — hello, welcome, silence past the timeout, then
   * every bye and close on the devices' side and every close event on the subscriber's — and the
   * announcing half of a node loss of as many sessions: their {@code NODE_LOST} closes built as a
   * survivor builds them from the directory's entries and handed to the pipeline a batch at a time
   * ({@code NodeLossWatch}); the release from the directory is Hazelcast's, not rehearsed.
   */
  private void round(int devices, String prefix) throws Exception {
    CountDownLatch welcomed = new CountDownLatch(devices);
    CountDownLatch ended = new CountDownLatch(devices);
    long eventsBefore = closeEvents.get() + nodeLostEvents.get();
    List<io.vertx.core.Future<NetSocket>> connects = new ArrayList<>(devices);
    for (int i = 0; i < devices; i++) {
      connects.add(client.connect(devicePort, "127.0.0.1"));
    }
    await(io.vertx.core.Future.all(connects));
    for (int i = 0; i < devices; i++) {
      NetSocket socket = connects.get(i).result();
      socket.handler(
          RecordParser.newDelimited(
              "\n",
              line -> {
                if (line.toString().contains("\"welcome\"")) {
                  welcomed.countDown();
                }
              }));
      socket.closeHandler(v -> ended.countDown());
      socket.write(
          new JsonObject()
                  .put("type", "hello")
                  .put("device", prefix + i)
                  .put("heartbeat", 1)
                  .encode()
              + "\n");
    }
    awaitLatch(welcomed);
    // Just past their timeout: the table's next tick expires them all, as many per tick as in a
    // real mass expiry.
    now.addAndGet(table.options().negotiate(1_000).timeoutMs() + table.options().tickMs());
    awaitLatch(ended);
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
    while (closeEvents.get() + nodeLostEvents.get() - eventsBefore < 2L * devices
        && System.nanoTime() < deadlineNanos) {
      Thread.sleep(5); // the last events are on their way to the subscriber
    }
  }

  private void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("warmup_close_failed", e);
    }
  }

  private <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.await(remainingMs(), TimeUnit.MILLISECONDS);
  }

  private void awaitLatch(CountDownLatch latch) throws Exception {
    if (!latch.await(remainingMs(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("node.warmupMaxMs ran out");
    }
  }

  private long remainingMs() {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
  }
}

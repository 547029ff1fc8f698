package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.LocalEventLog;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.SessionTableVerticle;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100,000 UDP sessions in one broker: all opened by real datagram clients, listed, counted, evicted
 * on time, and the heap they take measured. The sessions have a 60-second timeout, reached by
 * moving the table's clock forward once they are all open ({@link AdvancingClock}), so the test
 * takes well under a minute.
 *
 * <p>Not on {@code TableFixture}: it keeps every event it sees, 200,000 of them here, which would
 * swamp the heap measurement and make its linear search quadratic. This test counts events instead
 * of keeping them and otherwise builds the same standalone table. Vert.x runs on the native
 * transport, so the transport binds one socket per core with {@code SO_REUSEPORT}.
 *
 * <p>Heap per session: used heap after {@code System.gc()} with the sessions open, minus the same
 * before they were opened (after a warm-up of 1,000 sessions that stay open, so class loading, JIT
 * and buffer pools are paid for), divided by 100,000. It includes everything a UDP session costs:
 * the {@code Session}, its device id string, the table's two indexes and the directory entry, and
 * the transport's peer, ticket and index slot.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UdpScaleIT {

  private static final int SESSIONS = 100_000;
  private static final int WARM_UP = 1_000;
  private static final int HEARTBEAT_SECONDS = 40;
  private static final long TIMEOUT_MS = HEARTBEAT_SECONDS * 1500L;
  private static final int CLIENTS = 2;

  /** Hellos a client sends before it waits for their welcomes, so no socket buffer overflows. */
  private static final int WINDOW = 50;

  /** How long before the first deadline the clock is set once all sessions are open. */
  private static final long LEAD_MS = 1_000;

  private static final long MAX_BYTES_PER_SESSION = 300;
  private static final long MAX_LATENESS_MS = 1_000;

  private final LongAdder opened = new LongAdder();
  private final LongAdder timedOut = new LongAdder();

  /** Sessions closed so far; filled only once the heap has been measured, as the evictions come. */
  private final Set<String> closedOnce = ConcurrentHashMap.newKeySet();

  private final LongAdder closedTwice = new LongAdder();
  private final LongAdder early = new LongAdder();
  private final LongAccumulator maxLatenessMs = new LongAccumulator(Math::max, 0);
  private final AdvancingClock clock = new AdvancingClock();
  private Vertx vertx;
  private SessionTable table;
  private UdpTransport udp;

  /**
   * The devices' sockets: the same source addresses in every pass, so a repeated hello is
   * recognised.
   */
  private final List<DatagramSocket> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.eventBus().<JsonObject>consumer(Addresses.OPENED, m -> opened.increment());
    vertx.eventBus().<JsonObject>consumer(Addresses.CLOSED, m -> closed(m.body()));
    // Evictions of a whole burst must not queue behind the default batch bound of 250 per tick.
    TableOptions options = TableOptions.builder().tickMs(10).maxEvictionsPerTick(10_000).build();
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(options, clock, "n1")
            // The replay log is bounded (a fixed ~3 MB at its shipped 10,000 events), not a
            // per-session cost: it is
            // kept smaller than the warm-up here, so it is already full when the baseline heap is
            // measured.
            .eventLog(new LocalEventLog(WARM_UP / 2))
            .build();
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    table = verticle.table();
    udp = new UdpTransport(table, UdpOptions.defaults().withPort(0), DeviceAuth.NONE);
    udp.start(vertx).await(10, TimeUnit.SECONDS);
    for (int c = 0; c < CLIENTS; c++) {
      DatagramSocket socket =
          new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      socket.setReceiveBufferSize(4 * 1024 * 1024);
      socket.setSoTimeout(300);
      clients.add(socket);
    }
  }

  @AfterEach
  void stop() throws Exception {
    clients.forEach(DatagramSocket::close);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void closed(JsonObject event) {
    if (!closedOnce.add(event.getString("sessionId"))) {
      closedTwice.increment();
    }
    if ("TIMEOUT".equals(event.getString("reason"))) {
      long lateness =
          event.getLong("at") - event.getLong("lastSeenAt") - event.getLong("timeoutMs");
      if (lateness < 0) {
        early.increment();
      }
      maxLatenessMs.accumulate(lateness);
      timedOut.increment();
    }
  }

  /**
   * Verifies that one broker holds, lists, counts and evicts on time 100,000 UDP sessions, in
   * little heap.
   */
  @Test
  void holdsListsCountsAndEvictsOneHundredThousandSessions() throws Exception {
    // given
    assertThat(vertx.isNativeTransportEnabled()).as("native transport").isTrue();
    assertThat(udp.sockets()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors()));
    long firstOpenedAt = clock.millis();
    openAll("warm", WARM_UP);
    long before = usedHeapAfterGc();

    // when
    long started = clock.millis();
    openAll("udp", SESSIONS);
    long openMs = clock.millis() - started;
    long after = usedHeapAfterGc();

    // then: all held, listed and counted
    long bytesPerSession = (after - before) / SESSIONS;
    System.out.printf(
        "udp_scale sessions=%d open_ms=%d heap_before=%d heap_after=%d bytes_per_session=%d%n",
        SESSIONS, openMs, before, after, bytesPerSession);
    long spreadMs = clock.millis() - firstOpenedAt;
    assertThat(spreadMs).as("all opened within their timeout").isLessThan(TIMEOUT_MS - LEAD_MS);
    int total = SESSIONS + WARM_UP;
    assertThat(udp.sessions()).isEqualTo(total);
    JsonObject count = table.admin().count().await(10, TimeUnit.SECONDS);
    assertThat(count.getJsonObject("byTransport").getInteger("udp")).isEqualTo(total);
    JsonObject page = table.admin().list("udp", total - 10, 100).await(10, TimeUnit.SECONDS);
    assertThat(page.getInteger("total")).isEqualTo(total);
    assertThat(page.getJsonArray("sessions")).hasSize(10);
    assertThat(bytesPerSession).isLessThanOrEqualTo(MAX_BYTES_PER_SESSION);

    // when: the clock jumps to just before the first session's deadline; the rest follow as they
    // were opened
    assertThat(timedOut.sum()).isZero();
    clock.advance(firstOpenedAt + TIMEOUT_MS - LEAD_MS - clock.millis());

    // then: all evicted on time, none early, none twice
    Awaitility.await("every session evicted")
        .atMost(Duration.ofMillis(LEAD_MS + spreadMs + 20_000))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> timedOut.sum() >= total);
    assertThat(closedTwice.sum()).as("sessions closed twice").isZero();
    assertThat(table.admin().count().await(10, TimeUnit.SECONDS).getInteger("total"))
        .as("sessions left")
        .isZero();
    System.out.printf(
        "udp_scale evicted=%d early=%d max_lateness_ms=%d%n",
        timedOut.sum(), early.sum(), maxLatenessMs.get());
    assertThat(timedOut.sum()).isEqualTo(total);
    assertThat(early.sum()).isZero();
    assertThat(maxLatenessMs.get()).isLessThanOrEqualTo(MAX_LATENESS_MS);
  }

  /**
   * Opens {@code sessions} devices named {@code prefix-i} from {@link #CLIENTS} sockets in
   * parallel. A hello or welcome lost to a full socket buffer is simply repeated (same nonce, same
   * source: a session already open answers with its welcome again) until every device has its
   * welcome.
   */
  private void openAll(String prefix, int sessions) throws Exception {
    long target = opened.sum() + sessions;
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      Thread thread =
          new Thread(
              () -> {
                try {
                  helloAll(prefix, sessions, client);
                } catch (Exception | AssertionError e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(failures).isEmpty();
    // The opened events trail the welcomes.
    Awaitility.await("every opened event")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> opened.sum() >= target);
    assertThat(opened.sum()).isEqualTo(target);
  }

  /**
   * Client {@code client} says hello for every device {@code i} with {@code i % CLIENTS == client},
   * a window of {@link #WINDOW} hellos at a time so that no socket buffer overflows, until each has
   * its welcome (told apart by the nonce {@code prefix:i} it echoes).
   */
  private void helloAll(String prefix, int sessions, int client) throws IOException {
    InetSocketAddress broker = new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.port());
    DatagramSocket socket = clients.get(client);
    int expected = (sessions - client + CLIENTS - 1) / CLIENTS;
    BitSet welcomed = new BitSet(sessions);
    byte[] buffer = new byte[2048];
    DatagramPacket welcome = new DatagramPacket(buffer, buffer.length);
    List<Integer> window = new ArrayList<>();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (welcomed.cardinality() < expected && System.nanoTime() < giveUp) {
      for (int i = client; i < sessions; i += CLIENTS) {
        if (!welcomed.get(i)) {
          window.add(i);
        }
        if (window.size() == WINDOW || (i + CLIENTS >= sessions && !window.isEmpty())) {
          for (int device : window) {
            byte[] hello = hello(prefix + "-" + device, prefix + ":" + device);
            socket.send(new DatagramPacket(hello, hello.length, broker));
          }
          try {
            for (int answered = 0; answered < window.size(); answered++) {
              welcome.setLength(buffer.length);
              socket.receive(welcome);
              int device = deviceOf(welcome, prefix);
              if (device >= 0) {
                welcomed.set(device);
              }
            }
          } catch (SocketTimeoutException e) {
            // Some were lost, or are late: the next pass sends the hellos still unanswered again.
          }
          window.clear();
        }
      }
    }
    assertThat(welcomed.cardinality()).as("welcomes for client " + client).isEqualTo(expected);
  }

  /**
   * The device number in the nonce {@code "prefix:i"} that a welcome echoes; -1 for another
   * prefix's.
   */
  private static int deviceOf(DatagramPacket welcome, String prefix) {
    String text = new String(welcome.getData(), 0, welcome.getLength(), StandardCharsets.UTF_8);
    String marker = "\"nonce\":\"" + prefix + ":";
    int start = text.indexOf(marker);
    if (start < 0) {
      return -1;
    }
    start += marker.length();
    return Integer.parseInt(text, start, text.indexOf('"', start), 10);
  }

  /**
   * A hello padded to 160 bytes, written out by hand: the client must not be the bottleneck here.
   */
  private static byte[] hello(String deviceId, String nonce) {
    String hello =
        "{\"type\":\"hello\",\"device\":\""
            + deviceId
            + "\",\"nonce\":\""
            + nonce
            + "\",\"heartbeat\":"
            + HEARTBEAT_SECONDS
            + ",\"pad\":\"";
    return (hello + "x".repeat(Math.max(0, 160 - 2 - hello.length())) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Real time plus an offset the test can move forward, so that a 60-second timeout can be reached
   * without waiting for it: the deadlines then come due in real time, as far apart as the sessions
   * were opened, and the eviction tick runs exactly as in production.
   */
  private static final class AdvancingClock implements Clock {
    private final Clock real = Clock.monotonic();
    private volatile long offsetMs;

    @Override
    public long millis() {
      return real.millis() + offsetMs;
    }

    void advance(long ms) {
      offsetMs += ms;
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}

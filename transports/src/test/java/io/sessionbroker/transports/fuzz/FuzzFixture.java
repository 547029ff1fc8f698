package io.sessionbroker.transports.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.testkit.fuzz.LogWatch;
import io.sessionbroker.transports.TableFixture;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * What every transport fuzzer shares: a session table ({@link TableFixture}) whose sessions all
 * time out within 3 s (heartbeats 100 ms to 2 s), so that whatever a malformed input leaves open
 * ends on its own and the table returns to its healthy baseline; a watch on the log and on uncaught
 * exceptions; and the checks every fuzzer makes after its run.
 */
final class FuzzFixture implements AutoCloseable {

  /** Heartbeats from 100 ms to 2 s (default 1 s): every session times out within 3 s. */
  static final TableOptions TABLE =
      TableOptions.builder()
          .tickMs(10)
          .maxEvictionsPerTick(250)
          .minHeartbeatMs(100)
          .defaultHeartbeatMs(1000)
          .maxHeartbeatMs(2000)
          .minTimeoutMs(100)
          .build();

  /**
   * How much more heap may be in use after the run than before it, both after a full GC, beside
   * what the test itself keeps: the event contract holds every close event it saw (about 1 KiB
   * each, counted as {@link #RECORDED_CLOSE_BYTES}).
   */
  static final long HEAP_GROWTH_BOUND_BYTES = 64L << 20;

  static final long RECORDED_CLOSE_BYTES = 2048;

  final TableFixture tables;
  final LogWatch log;
  private final AtomicInteger uncaught = new AtomicInteger();
  private final List<String> uncaughtExamples = new ArrayList<>();
  private final long heapBefore;

  FuzzFixture() throws Exception {
    this(TABLE);
  }

  FuzzFixture(TableOptions table) throws Exception {
    log = LogWatch.start();
    try {
      tables = new TableFixture(table, new VertxOptions().setPreferNativeTransport(true));
    } catch (Exception | Error e) {
      log.close();
      throw e;
    }
    // Without a handler Vert.x logs an exception thrown by a handler at ERROR; count them here too.
    tables.vertx.exceptionHandler(
        e -> {
          uncaught.incrementAndGet();
          synchronized (uncaughtExamples) {
            if (uncaughtExamples.size() < 5) {
              uncaughtExamples.add(e.toString());
            }
          }
        });
    heapBefore = heapAfterGc();
  }

  /** Used heap after a full collection (twice, so that finalizable objects are gone). */
  static long heapAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Open sessions in the table. */
  int sessions() throws Exception {
    return tables.table.admin().count().await(10, TimeUnit.SECONDS).getInteger("total");
  }

  /**
   * The checks after a run, beside the fuzzer's own: no session of a healthy device was closed, the
   * table (and {@code connections}, the transport's own count, when it has one) returns to the
   * healthy baseline, the heap to within {@link #HEAP_GROWTH_BOUND_BYTES} of where it was, no
   * handler threw, and nothing was logged at WARN or ERROR that {@code expectedLog} does not
   * accept.
   */
  void assertCleanAfterRun(
      Collection<String> healthyIds,
      IntSupplier connections,
      int healthyConnections,
      Predicate<String> expectedLog)
      throws Exception {
    tables.settle();
    List<JsonObject> healthyCloses =
        tables.contract.closes().stream()
            .filter(close -> healthyIds.contains(close.getString("deviceId")))
            .toList();
    assertThat(healthyCloses).as("closes of healthy sessions").isEmpty();
    // Every session a malformed input opened ends with its try or times out within 3 s (TABLE).
    Awaitility.await("table back to the healthy sessions")
        .atMost(Duration.ofSeconds(30))
        .until(() -> sessions() == healthyIds.size());
    if (connections != null) {
      Awaitility.await("connections back to the healthy ones")
          .atMost(Duration.ofSeconds(15))
          .until(() -> connections.getAsInt() == healthyConnections);
    }
    tables.forget();
    long growth = heapAfterGc() - heapBefore;
    long recorded = (long) tables.contract.closes().size() * RECORDED_CLOSE_BYTES;
    assertThat(growth)
        .as("heap growth over the run, after GC (the test's own records: %d bytes)", recorded)
        .isLessThan(HEAP_GROWTH_BOUND_BYTES + recorded);
    synchronized (uncaughtExamples) {
      assertThat(uncaught.get()).as("exceptions thrown by handlers: " + uncaughtExamples).isZero();
    }
    LogWatch.provokeLeakReports();
    assertThat(log.unexpected(expectedLog)).as("unexpected WARN/ERROR log entries").isEmpty();
  }

  /** Called by each try: drops the fixture's record of events no test awaits, now and then. */
  void forgetEventsNowAndThen(int tryIndex) {
    if (tryIndex % 256 == 0) {
      tables.forget();
    }
  }

  @Override
  public void close() throws Exception {
    try {
      tables.close();
    } finally {
      log.close();
    }
  }
}

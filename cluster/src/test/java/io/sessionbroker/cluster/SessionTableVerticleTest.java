package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verifies how the verticle drives its table: the tick it asks its ticker for, and what one tick
 * does.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTableVerticleTest {

  /** A ticker that records the period it was started with and ticks only when the test says so. */
  private static final class ManualTicker implements Ticker {
    final List<Long> periods = new CopyOnWriteArrayList<>();
    volatile Runnable tick;
    volatile boolean stopped;

    @Override
    public Stop start(long periodMs, Runnable tick) {
      periods.add(periodMs);
      this.tick = tick;
      return () -> stopped = true;
    }
  }

  private final FakeClock clock = new FakeClock();
  private final ManualTicker ticker = new ManualTicker();

  /** Deploys the verticle as the broker does: as a worker. */
  private static Future<String> deployAsWorker(Vertx vertx, SessionTableVerticle verticle) {
    return vertx.deployVerticle(
        verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
  }

  /** A device's open request without a will; {@code connection} hears how its session ends. */
  private static OpenRequest request(
      String deviceId, String transport, String remote, long heartbeatMs, Connection connection) {
    return new OpenRequest(deviceId, transport, remote, heartbeatMs, null, connection);
  }

  /**
   * Verifies that the ticker is started once with table.tickMs and stopped when the verticle is
   * undeployed.
   */
  @Test
  void ticksEveryTableTickMsUntilUndeployed(Vertx vertx, VertxTestContext test) {
    // given
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a").ticker(ticker).build();

    // when
    deployAsWorker(vertx, verticle)
        .compose(
            id -> {
              test.verify(
                  () -> assertThat(ticker.periods).containsExactly((long) Tables.OPTIONS.tickMs()));
              return vertx.undeploy(id);
            })
        // then
        .onComplete(
            test.succeeding(
                v ->
                    test.verify(
                        () -> {
                          assertThat(ticker.stopped).isTrue();
                          test.completeNow();
                        })));
  }

  /**
   * Verifies that one tick of the ticker evicts, on the table's thread, a session whose timeout has
   * passed on the table's clock, and publishes its TIMEOUT close.
   */
  @Test
  void aTickEvictsASessionPastItsTimeout(Vertx vertx, VertxTestContext test) {
    // given
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a").ticker(ticker).build();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.CLOSED,
            closed ->
                test.verify(
                    () -> {
                      assertThat(closed.body().getString("deviceId")).isEqualTo("sensor-1");
                      assertThat(closed.body().getString("reason")).isEqualTo("TIMEOUT");
                      assertThat(closed.body().getLong("at")).isEqualTo(clock.millis());
                      test.completeNow();
                    }));
    deployAsWorker(vertx, verticle)
        .compose(
            id ->
                verticle
                    .table()
                    .open(
                        request("sensor-1", "udp", "127.0.0.1:5000", 100, (session, reason) -> {})))
        .onComplete(
            test.succeeding(
                session -> {
                  // when: the timeout (150 ms) has passed, less than the stall guard's 500 ms
                  clock.advance(session.timeoutMs() + Tables.TICK_MS);
                  ticker.tick.run();
                }));
  }

  /**
   * Verifies that the table the verticle builds uses the directory, event log, remote takeover and
   * fence it was given, not its standalone defaults.
   */
  @Test
  void buildsItsTableWithTheCollaboratorsItIsGiven(Vertx vertx, VertxTestContext test) {
    // given a device another node holds, by the directory given to the verticle
    LocalDirectory directory = new LocalDirectory();
    directory.claim("verticle-wired-1", 0x77L, "node-b");
    LocalEventLog eventLog = new LocalEventLog(100);
    List<String> takenOverAt = new CopyOnWriteArrayList<>();
    Fence fence = new Fence();
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a")
            .directory(directory)
            .eventLog(eventLog)
            .remoteTakeover((holder, deviceId) -> takenOverAt.add(holder.nodeId() + "/" + deviceId))
            .fence(fence)
            .ticker(ticker)
            .build();

    // when the device opens a session here, and then the fence is raised
    deployAsWorker(vertx, verticle)
        .compose(
            id ->
                verticle
                    .table()
                    .open(
                        request(
                            "verticle-wired-1",
                            "tcp",
                            "127.0.0.1:5000",
                            1_000,
                            (session, reason) -> {})))
        .compose(session -> eventLog.read(0, 10))
        .onComplete(
            test.succeeding(
                log -> {
                  fence.raise();
                  Throwable refused =
                      verticle
                          .table()
                          .open(
                              request(
                                  "verticle-wired-2",
                                  "tcp",
                                  "127.0.0.1:5001",
                                  1_000,
                                  (session, reason) -> {}))
                          .cause();

                  // then the old holder was told through the remote takeover, the opened event is
                  // in
                  // the given log, and the raised fence refuses the next device
                  test.verify(
                      () -> {
                        assertThat(takenOverAt).containsExactly("node-b/verticle-wired-1");
                        assertThat(log.getJsonArray("events").getJsonObject(0).getString("address"))
                            .isEqualTo(Addresses.OPENED);
                        assertThat(
                                log.getJsonArray("events")
                                    .getJsonObject(0)
                                    .getJsonObject("body")
                                    .getString("deviceId"))
                            .isEqualTo("verticle-wired-1");
                        assertThat(refused).hasMessageContaining("cut off");
                        test.completeNow();
                      });
                }));
  }

  /**
   * Verifies that the broker's scheduler ticks the table on the table's own thread, the thread its
   * other work runs on (here: the close of the session the tick evicts), so a tick wakes one
   * thread, not two; and that the thread ends after the verticle is undeployed.
   */
  @Test
  void theSchedulerTicksOnTheTablesOwnThread(Vertx vertx, VertxTestContext test) {
    // given: the broker's scheduler, its ticks recorded
    Set<Thread> tickThreads = ConcurrentHashMap.newKeySet();
    Ticker scheduler = Ticker.scheduler();
    Ticker recording =
        new Ticker() {
          @Override
          public Stop start(long periodMs, Runnable tick) {
            return scheduler.start(periodMs, recorded(tick));
          }

          @Override
          public Stop startOn(ScheduledExecutorService thread, long periodMs, Runnable tick) {
            return scheduler.startOn(thread, periodMs, recorded(tick));
          }

          private Runnable recorded(Runnable tick) {
            return () -> {
              tickThreads.add(Thread.currentThread());
              tick.run();
            };
          }
        };
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a").ticker(recording).build();
    CompletableFuture<Thread> closedOn = new CompletableFuture<>();

    // when: a session opens, its timeout passes, and the next tick evicts it
    deployAsWorker(vertx, verticle)
        .compose(
            id ->
                verticle
                    .table()
                    .open(
                        request(
                            "sensor-2",
                            "udp",
                            "127.0.0.1:5002",
                            100,
                            (session, reason) -> closedOn.complete(Thread.currentThread())))
                    .map(session -> id))
        .compose(
            id -> {
              clock.advance(1_000);
              return Future.fromCompletionStage(closedOn).compose(thread -> vertx.undeploy(id));
            })
        .onComplete(
            test.succeeding(
                v ->
                    test.verify(
                        () -> {
                          // then
                          Thread table = closedOn.join();
                          assertThat(tickThreads).containsOnly(table);
                          assertThat(table.getName()).isEqualTo("session-table");
                          assertThat(table.isDaemon()).isTrue();
                          await().atMost(Duration.ofSeconds(10)).until(() -> !table.isAlive());
                          test.completeNow();
                        })));
  }
}

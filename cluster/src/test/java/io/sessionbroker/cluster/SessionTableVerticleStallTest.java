package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the verticle wires the stall guard ({@link EventLoopWatch}) into its table: while
 * the broker's only event loop is blocked, no session expires, however far the clock runs; once the
 * loop runs again, the silent session does; once the verticle is undeployed, the loops stop
 * stamping. The table runs on a worker thread, the clock is set by the test, the ticks are by hand.
 */
@Timeout(30)
class SessionTableVerticleStallTest {

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  private final FakeClock fake = new FakeClock();

  /** Threads that read the clock: the event loop's stamps show up here by its name. */
  private final Set<String> readers = ConcurrentHashMap.newKeySet();

  private final Clock clock =
      () -> {
        readers.add(Thread.currentThread().getName());
        return fake.millis();
      };
  private volatile Runnable tick;

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Verifies that a blocked event loop holds evictions back until it has run again. */
  @Test
  void aBlockedEventLoopHoldsEvictionsUntilItRunsAgain() throws Exception {
    // given: a table with a session whose 150 ms timeout will long have passed
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a")
            .ticker(
                (periodMs, t) -> {
                  tick = t;
                  return () -> {};
                })
            .build();
    vertx
        .deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .await(10, TimeUnit.SECONDS);
    SessionTable table = verticle.table();
    table
        .open(new OpenRequest("stall-1", "udp", null, 100, null, (s, r) -> {}))
        .await(10, TimeUnit.SECONDS);

    // when: the event loop is blocked (it cannot stamp), and the clock runs 10 s on
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ((VertxInternal) vertx)
        .nettyEventLoopGroup()
        .next()
        .execute(
            () -> {
              blocked.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    fake.advance(10_000);
    tick.run();

    // then: the tick (queued before the query on the table's thread) evicted nothing
    assertThat(table.admin().count().await(10, TimeUnit.SECONDS).getInteger("total")).isOne();

    // and when the loop runs again and stamps the new time, the next tick evicts the session
    release.countDown();
    CountDownLatch stamped = new CountDownLatch(1);
    // A task scheduled after the loop's periodic stamp runs after it (Netty runs scheduled tasks in
    // order).
    ((VertxInternal) vertx)
        .nettyEventLoopGroup()
        .next()
        .schedule(stamped::countDown, 2 * SessionTableVerticle.STAMP_MS, TimeUnit.MILLISECONDS);
    assertThat(stamped.await(10, TimeUnit.SECONDS)).isTrue();
    tick.run();
    assertThat(table.admin().count().await(10, TimeUnit.SECONDS).getInteger("total")).isZero();
  }

  /** Verifies that an undeployed verticle leaves no stamping task behind on the event loops. */
  @Test
  void undeployingStopsTheEventLoopStamps() throws Exception {
    // given
    SessionTableVerticle verticle =
        SessionTableVerticle.builder(Tables.OPTIONS, clock, "node-a")
            .ticker((periodMs, t) -> () -> {})
            .build();
    String id =
        vertx
            .deployVerticle(
                verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
            .await(10, TimeUnit.SECONDS);
    assertThat(verticle.pipeline().eventLog()).isInstanceOf(LocalEventLog.class);

    // when
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);
    readers.clear();

    // then: a task scheduled two and a half stamp periods out runs after any stamp still scheduled
    // before it
    CountDownLatch barrier = new CountDownLatch(1);
    ((VertxInternal) vertx)
        .nettyEventLoopGroup()
        .next()
        .schedule(barrier::countDown, 5 * SessionTableVerticle.STAMP_MS / 2, TimeUnit.MILLISECONDS);
    assertThat(barrier.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(readers).noneMatch(name -> name.contains("eventloop"));
  }
}

package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that events are numbered in batches the log accepts and published in the order handed
 * in.
 */
@Timeout(30)
class EventPipelineTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A log whose appends the test completes by hand, numbering from 0. */
  private static final class ManualLog implements EventLog {
    final List<Integer> batchSizes = new ArrayList<>();
    final List<Promise<Long>> pending = new ArrayList<>();
    long next;

    @Override
    public synchronized Future<Long> append(List<JsonObject> entries) {
      batchSizes.add(entries.size());
      Promise<Long> promise = Promise.promise();
      pending.add(promise);
      long first = next;
      next += entries.size();
      return promise.future().map(ignored -> first);
    }

    @Override
    public Future<JsonObject> read(long fromSeq, int max) {
      return Future.succeededFuture(new JsonObject());
    }

    void completeAll() {
      for (int i = 0; i < pending.size(); i++) {
        pending.get(i).tryComplete(0L);
      }
    }
  }

  @Test
  void aBurstIsAppendedInBatchesOfAtMostOneThousandAndPublishedInOrderWithContiguousSeq()
      throws Exception {
    ManualLog log = new ManualLog();
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
    List<Long> published = new CopyOnWriteArrayList<>();
    List<Integer> order = new CopyOnWriteArrayList<>();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            "test.events",
            m -> {
              published.add(m.body().getLong("seq"));
              order.add(m.body().getInteger("n"));
            })
        .completion()
        .await(5, TimeUnit.SECONDS);

    // given one append in flight and 2,500 events queued behind it
    for (int n = 0; n < 2_501; n++) {
      pipeline.publish("test.events", new JsonObject().put("n", n));
    }

    // when the log answers, one append after the other
    for (int round = 0; round < 5; round++) {
      log.completeAll();
    }

    // then
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> published.size() >= 2_501);
    assertThat(log.batchSizes).containsExactly(1, 1_000, 1_000, 500);
    assertThat(order).hasSize(2_501).isSorted();
    assertThat(published).isSorted().first().isEqualTo(0L);
    assertThat(published.get(2_500)).isEqualTo(2_500L);
  }
}

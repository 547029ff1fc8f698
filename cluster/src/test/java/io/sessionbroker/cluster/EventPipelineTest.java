package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verifies that events are numbered in batches the log accepts and published in the order handed
 * in.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventPipelineTest {

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

    /** Completes the oldest append not completed yet (and not the one its completion starts). */
    void completeNext() {
      for (Promise<Long> append : new ArrayList<>(pending)) {
        if (!append.future().isComplete()) {
          completed++; // before: what the completion sets off runs inside complete()
          append.complete(0L);
          return;
        }
      }
    }

    int completed;
  }

  /**
   * Verifies that a burst behind an append in flight goes out in appends of at most a thousand, in
   * the order handed in, numbered without a gap.
   */
  @Test
  void aBurstIsAppendedInBatchesOfAtMostOneThousandAndPublishedInOrderWithContiguousSeq(
      Vertx vertx, VertxTestContext test) {
    ManualLog log = new ManualLog();
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
    List<Long> published = new ArrayList<>();
    List<Integer> order = new ArrayList<>();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            "test.events",
            m -> {
              published.add(m.body().getLong("seq"));
              order.add(m.body().getInteger("n"));
              if (order.size() == 2_501) {
                // then
                test.verify(
                    () -> {
                      assertThat(log.batchSizes).containsExactly(1, 1_000, 1_000, 500);
                      assertThat(order).isSorted();
                      assertThat(published).isSorted().first().isEqualTo(0L);
                      assertThat(published.get(2_500)).isEqualTo(2_500L);
                    });
                test.completeNow();
              }
            })
        .completion()
        .onComplete(
            test.succeeding(
                registered -> {
                  // given one append in flight and 2,500 events queued behind it
                  for (int n = 0; n < 2_501; n++) {
                    pipeline.publish("test.events", new JsonObject().put("n", n));
                  }
                  // when the log answers, one append after the other
                  for (int round = 0; round < 5; round++) {
                    log.completeAll();
                  }
                }));
  }

  /**
   * Verifies that a burst handed in at once ({@code publishAll}, as a node loss does) fills its
   * first append too: 2,500 events in appends of 1,000, 1,000 and 500, published in order.
   */
  @Test
  void aBurstHandedInAtOnceFillsItsFirstAppend(Vertx vertx, VertxTestContext test) {
    ManualLog log = new ManualLog();
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
    List<Integer> order = new ArrayList<>();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            "test.burst",
            m -> {
              order.add(m.body().getInteger("n"));
              if (order.size() == 2_500) {
                // then
                test.verify(
                    () -> {
                      assertThat(log.batchSizes).containsExactly(1_000, 1_000, 500);
                      assertThat(order).isSorted();
                    });
                test.completeNow();
              }
            })
        .completion()
        .onComplete(
            test.succeeding(
                registered -> {
                  // given 2,500 events handed in at once
                  List<JsonObject> burst = new ArrayList<>();
                  for (int n = 0; n < 2_500; n++) {
                    burst.add(new JsonObject().put("n", n));
                  }
                  pipeline.publishAll("test.burst", burst);
                  // when the log answers, one append after the other
                  for (int round = 0; round < 4; round++) {
                    log.completeAll();
                  }
                }));
  }

  /**
   * Verifies that {@code written()} completes once every event handed in before the call has been
   * appended and published, and does not wait for events handed in after it: a graceful stop waits
   * for its closes, and a trickle of later rejections must not hold it back.
   */
  @Test
  void writtenWaitsForTheEventsHandedInBeforeItAndNotForLaterOnes(
      Vertx vertx, VertxTestContext test) {
    ManualLog log = new ManualLog();
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), log);
    vertx
        .eventBus()
        .<JsonObject>consumer("test.written", m -> {})
        .completion()
        .onComplete(
            test.succeeding(
                registered -> {
                  // given three events: the first in an append, two queued behind it
                  for (int n = 0; n < 3; n++) {
                    pipeline.publish("test.written", new JsonObject().put("n", n));
                  }
                  // when a stop asks, and a fourth event comes after its question
                  Future<Void> written = pipeline.written();
                  written.onComplete(
                      test.succeeding(
                          done ->
                              // then it is answered once the first two appends are published,
                              // with the fourth still in the third append
                              test.verify(
                                  () -> {
                                    assertThat(log.completed).isEqualTo(2);
                                    assertThat(pipeline.unwritten()).isEqualTo(1);
                                    test.completeNow();
                                  })));
                  log.completeNext(); // the first event: its append answers, the next starts
                  pipeline.publish("test.written", new JsonObject().put("n", 3));
                  test.verify(() -> assertThat(written.isComplete()).isFalse());
                  log.completeNext(); // the second and third; the fourth goes to a third append
                }));
  }

  /**
   * Verifies that the events handed in while {@code inOneAppend} runs wait until it returns and
   * then go out in one append, in order — with a log that answers at once (the standalone
   * broker's), where each event handed in was an append of its own: a tick's mass expiry of 500
   * closes was 500 appends.
   */
  @Test
  void eventsHandedInDuringInOneAppendGoOutTogetherInOneAppendInOrder(
      Vertx vertx, VertxTestContext test) {
    List<Integer> batchSizes = new ArrayList<>();
    LocalEventLog local = new LocalEventLog(10_000);
    EventLog answersAtOnce =
        new EventLog() {
          @Override
          public synchronized Future<Long> append(List<JsonObject> batch) {
            batchSizes.add(batch.size());
            return local.append(batch);
          }

          @Override
          public Future<JsonObject> read(long fromSeq, int max) {
            return local.read(fromSeq, max);
          }
        };
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), answersAtOnce);
    List<Long> seqs = new ArrayList<>();
    vertx
        .eventBus()
        .<JsonObject>consumer("test.tick", m -> seqs.add(m.body().getLong("seq")))
        .completion()
        .onComplete(
            test.succeeding(
                registered -> {
                  // given a pipeline whose log answers at once
                  // when a tick hands in 500 closes inside one inOneAppend
                  pipeline.inOneAppend(
                      () -> {
                        for (int n = 0; n < 500; n++) {
                          pipeline.publish("test.tick", new JsonObject().put("n", n));
                        }
                        // then nothing has gone out before the work returns
                        test.verify(() -> assertThat(batchSizes).isEmpty());
                      });
                  // then one append of 500, published in order with contiguous seq
                  test.verify(
                      () -> {
                        assertThat(batchSizes).containsExactly(500);
                        assertThat(pipeline.unwritten()).isLessThanOrEqualTo(500);
                      });
                  vertx.setPeriodic(
                      10,
                      id -> {
                        if (seqs.size() == 500) {
                          vertx.cancelTimer(id);
                          test.verify(
                              () -> {
                                assertThat(seqs).isSorted().first().isEqualTo(0L);
                                assertThat(seqs.get(499)).isEqualTo(499L);
                              });
                          test.completeNow();
                        }
                      });
                }));
  }

  /**
   * Verifies that a published event reaches this node's consumers as one read-only body they share,
   * numbered, instead of a deep copy each ({@link ReadOnlyJson}).
   */
  @Test
  void localConsumersShareOneReadOnlyBodyOfEachEvent(Vertx vertx, VertxTestContext test) {
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), new LocalEventLog(100));
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    Runnable check =
        () -> {
          if (received.size() < 2) {
            return;
          }
          test.verify(
              () -> {
                assertThat(received.get(0).getMap()).isSameAs(received.get(1).getMap());
                assertThat(received.get(0))
                    .isEqualTo(new JsonObject().put("deviceId", "d-1").put("seq", 0L));
                assertThatThrownBy(() -> received.get(0).put("seq", 9L))
                    .isInstanceOf(UnsupportedOperationException.class);
              });
          test.completeNow();
        };
    Handler<Message<JsonObject>> consumer =
        m -> {
          received.add(m.body());
          check.run();
        };
    Future.all(
            vertx.eventBus().localConsumer("test.shared", consumer).completion(),
            vertx.eventBus().localConsumer("test.shared", consumer).completion())
        .onComplete(
            test.succeeding(
                ready -> pipeline.publish("test.shared", new JsonObject().put("deviceId", "d-1"))));
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.EventLog;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.LocalEventLog;
import io.sessionbroker.cluster.hazelcast.Departures;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verifies that a graceful stop's drain ({@link ShutdownDrain}) waits for the events still in the
 * pipeline and for every other member's confirmation, and no longer than {@code
 * shutdown.maxDrainMs}. One Vert.x plays this node and a member {@code "other"} (its flush address
 * is a consumer here); {@code ShutdownDeliveryIT} covers three real nodes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShutdownDrainTest {

  /** An event log whose single append the test answers. */
  private static final class HeldLog implements EventLog {
    final Promise<Long> append = Promise.promise();

    @Override
    public Future<Long> append(List<JsonObject> entries) {
      return append.future();
    }

    @Override
    public Future<JsonObject> read(long fromSeq, int max) {
      return Future.succeededFuture(new JsonObject());
    }
  }

  /**
   * Verifies that the drain ends only after the close still in the pipeline is published and the
   * other member has confirmed; not before the append answered.
   */
  @Test
  void endsOnceThePipelinePublishedAndTheOtherMemberConfirmed(Vertx vertx, VertxTestContext test) {
    HeldLog eventLog = new HeldLog();
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), eventLog);
    ShutdownDrain drain =
        new ShutdownDrain(
            vertx, pipeline, "self", () -> List.of("self", "other"), new Departures(), 10_000);
    List<String> seen = new CopyOnWriteArrayList<>();
    vertx.eventBus().consumer("sessions.closed", m -> seen.add("close"));
    vertx
        .eventBus()
        .consumer(
            ShutdownDrain.address("other"),
            m -> {
              seen.add("flush");
              m.reply(null);
            })
        .completion()
        .onComplete(
            test.succeeding(
                registered -> {
                  // given a close handed to the pipeline, its append not answered yet
                  pipeline.publish("sessions.closed", new JsonObject().put("sessionId", "s1"));
                  // when the stop drains, and then the log answers the append
                  Future<Void> drained = drain.drain(0, 1);
                  vertx.runOnContext(v -> eventLog.append.complete(0L));
                  // then
                  drained.onComplete(
                      test.succeeding(
                          done ->
                              test.verify(
                                  () -> {
                                    // a drain that asked before the close was out: flush, close
                                    assertThat(seen).containsExactly("close", "flush");
                                    test.completeNow();
                                  })));
                }));
  }

  /**
   * Verifies that events the pipeline cannot get out (an append that never answers) hold the stop
   * for {@code shutdown.maxDrainMs} and no longer: the drain then ends all the same, and the node
   * stops.
   */
  @Test
  void anAppendThatNeverAnswersHoldsTheStopNoLongerThanMaxDrainMs(
      Vertx vertx, VertxTestContext test) {
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), new HeldLog());
    ShutdownDrain drain =
        new ShutdownDrain(vertx, pipeline, "self", () -> List.of("self"), new Departures(), 300);
    // given a close the log never takes
    pipeline.publish("sessions.closed", new JsonObject().put("sessionId", "s1"));
    long started = System.nanoTime();

    // when
    drain
        .drain(0, 1)
        .onComplete(
            test.succeeding(
                done ->
                    // then
                    test.verify(
                        () -> {
                          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                          // the upper bound is generous: a loaded 2-core CI machine
                          assertThat(ms).isBetween(300L, 5_000L);
                          assertThat(pipeline.unwritten()).isEqualTo(1);
                          test.completeNow();
                        })));
  }

  /**
   * Verifies that a member without a flush address (a node of an older version during a rolling
   * upgrade) is named in the log as unconfirmed and does not hold the stop for {@code
   * shutdown.maxDrainMs}.
   */
  @Test
  void aMemberWithoutAFlushAddressDoesNotHoldTheStop(Vertx vertx, VertxTestContext test) {
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), new LocalEventLog(100));
    ShutdownDrain drain =
        new ShutdownDrain(
            vertx, pipeline, "self", () -> List.of("self", "older"), new Departures(), 20_000);
    long started = System.nanoTime();

    drain
        .drain(0, 0)
        .onComplete(
            test.succeeding(
                done ->
                    test.verify(
                        () -> {
                          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                          assertThat(ms).isLessThan(10_000L);
                          test.completeNow();
                        })));
  }

  /**
   * Verifies that the flush names the stopping node, and that the member it asks notes it as
   * leaving before it answers: its leave, which follows, is then not a loss against that member's
   * quorum (PartitionIT's last node withheld its own SHUTDOWN closes when it counted the second
   * node's stop as one).
   */
  @Test
  void theMemberAskedNotesTheStoppingNodeAsLeaving(Vertx vertx, VertxTestContext test) {
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), new LocalEventLog(100));
    Departures seenByOther = new Departures();
    ShutdownDrain drain =
        new ShutdownDrain(
            vertx, pipeline, "self", () -> List.of("self", "other"), new Departures(), 10_000);
    ShutdownDrain.register(vertx.eventBus(), "other", seenByOther)
        .compose(registered -> drain.drain(0, 0))
        .onComplete(
            checks(
                test,
                () -> {
                  assertThat(seenByOther.isLeaving("self")).isTrue();
                  assertThat(seenByOther.isLeaving("other")).isFalse();
                }));
  }

  /**
   * Verifies that a member that said it is leaving itself is not asked: it would not answer (its
   * node is stopping too) and its name in the log as unconfirmed would be noise.
   */
  @Test
  void aMemberThatIsLeavingItselfIsNotAsked(Vertx vertx, VertxTestContext test) {
    EventPipeline pipeline = new EventPipeline(vertx.eventBus(), new LocalEventLog(100));
    Departures departures = new Departures();
    departures.leaving("other");
    List<String> asked = new CopyOnWriteArrayList<>();
    ShutdownDrain drain =
        new ShutdownDrain(
            vertx, pipeline, "self", () -> List.of("self", "other", "third"), departures, 10_000);
    vertx.eventBus().consumer(ShutdownDrain.address("other"), m -> asked.add("other"));
    vertx
        .eventBus()
        .consumer(
            ShutdownDrain.address("third"),
            m -> {
              asked.add("third");
              m.reply(null);
            })
        .completion()
        .compose(registered -> drain.drain(0, 0))
        .onComplete(checks(test, () -> assertThat(asked).containsExactly("third")));
  }

  /** Completes the test once a drain has succeeded and {@code assertions} hold. */
  private static <T> Handler<AsyncResult<T>> checks(
      VertxTestContext test, VertxTestContext.ExecutionBlock assertions) {
    return test.succeeding(
        done ->
            test.verify(
                () -> {
                  assertions.apply();
                  test.completeNow();
                }));
  }
}

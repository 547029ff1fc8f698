package io.sessionbroker.transports.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies how the session ends handed to one event loop run there: each once, in order, on the
 * context, and in slices that let the loop's other work in between (issue 17: a mass expiry's
 * closes kept a loop from reading its sockets, and from stamping for the stall guard).
 */
@Timeout(30)
class LoopEndsTest {

  private Vertx vertx;
  private Context context;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * Verifies that every end runs exactly once, in the order handed in, on the context's thread with
   * the context current: given ends handed in from another thread, when they have run, then the
   * record is 0..n-1, each on the context.
   */
  @Test
  void everyEndRunsOnceInOrderOnTheContext() throws Exception {
    int n = 5 * LoopEnds.SLICE + 3;
    List<Integer> ran = new CopyOnWriteArrayList<>();
    List<Boolean> onContext = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(n);
    LoopEnds ends = LoopEnds.of(context);

    for (int i = 0; i < n; i++) {
      int index = i;
      ends.add(
          () -> {
            ran.add(index);
            onContext.add(Vertx.currentContext() == context && Context.isOnEventLoopThread());
            done.countDown();
          });
    }

    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).containsExactlyElementsOf(IntStream.range(0, n).boxed().toList());
    assertThat(onContext).containsOnly(true);
  }

  /**
   * Verifies that a burst of ends leaves the loop to its other work between slices: given many more
   * ends than a slice handed in at once, and a task queued on the loop right after them, when all
   * have run, then the task ran after the first slice and before the last end, not behind the whole
   * burst.
   */
  @Test
  void aBurstOfEndsLetsTheLoopsOtherWorkInBetweenSlices() throws Exception {
    int n = 10 * LoopEnds.SLICE;
    List<String> ran = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(n + 1);
    CountDownLatch handedIn = new CountDownLatch(1);
    LoopEnds ends = LoopEnds.of(context);
    // given: the loop is held while the burst and the other task are queued
    context.runOnContext(
        v -> {
          try {
            handedIn.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });

    // when
    for (int i = 0; i < n; i++) {
      int index = i;
      ends.add(
          () -> {
            ran.add("end " + index);
            done.countDown();
          });
    }
    context.runOnContext(
        v -> {
          ran.add("other");
          done.countDown();
        });
    handedIn.countDown();

    // then
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    int other = ran.indexOf("other");
    assertThat(other).isBetween(LoopEnds.SLICE, n - 1);
  }
}

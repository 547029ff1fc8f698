package io.sessionbroker.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies that a thread dump names every live thread and gives each one its whole stack. */
@Timeout(10)
class ThreadDumpTest {

  /**
   * Given a parked thread of the test's own and the test's thread, when the dump is taken, then
   * both are named with their state, and the test's stack reaches this method.
   */
  @Test
  void everyThreadIsNamedWithItsStateAndItsWholeStack() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Thread parked = new Thread(() -> awaitQuietly(release), "thread-dump-test-parked");
    parked.start();
    try {
      while (parked.getState() != Thread.State.WAITING) {
        Thread.onSpinWait(); // until it parks on the latch
      }

      String dump = ThreadDump.all();

      assertThat(dump).contains("\"thread-dump-test-parked\" WAITING\n");
      assertThat(dump).contains("\"" + Thread.currentThread().getName() + "\" RUNNABLE\n");
      // a frame per line, as StackTraceElement prints it (a class loader's name may lead it)
      assertThat(dump)
          .containsPattern(
              "(?m)^\tat \\S*ThreadDumpTest\\.everyThreadIsNamedWithItsStateAndItsWholeStack"
                  + "\\(ThreadDumpTest\\.java:\\d+\\)$");
    } finally {
      release.countDown();
      parked.join();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

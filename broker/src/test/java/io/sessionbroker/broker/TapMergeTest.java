package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThatCode;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.EventContract;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that merging two subscribers' copies of one event stream keeps the stream's order: the
 * same 20,000 events (one node's opens and closes, {@code seq} growing) delivered by two threads at
 * once reach the contract with {@code seq} growing, each once (issue 16: ClusterIT watches two
 * bridges and once saw 117 after 122).
 */
@Timeout(60)
class TapMergeTest {

  @Test
  void twoSubscribersDeliveringTheSameStreamAtOnceRecordItInOrderOnce() throws Exception {
    // given: one node's stream, 10,000 sessions opened and closed, numbered 0..19,999
    List<String[]> addresses = new ArrayList<>();
    List<JsonObject> bodies = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String session = "s" + i;
      addresses.add(new String[] {Addresses.OPENED});
      bodies.add(event(session, 2L * i));
      addresses.add(new String[] {Addresses.CLOSED});
      bodies.add(event(session, 2L * i + 1).put("reason", "CLIENT_CLOSED"));
    }
    EventContract contract = new EventContract("two taps", 100, () -> {});
    TapMerge merge = new TapMerge(contract);

    // when: two subscriber threads deliver it at the same time
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> taps = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread tap =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < bodies.size(); i++) {
                  merge.deliver(addresses.get(i)[0], bodies.get(i).copy());
                }
              });
      tap.start();
      taps.add(tap);
    }
    start.countDown();
    for (Thread tap : taps) {
      tap.join();
    }

    // then: no seq went backwards, nothing was opened or closed twice
    assertThatCode(contract::finish).doesNotThrowAnyException();
  }

  private static JsonObject event(String session, long seq) {
    return new JsonObject()
        .put("sessionId", session)
        .put("deviceId", "tap-merge-" + session)
        .put("node", "n1")
        .put("at", 1L)
        .put("seq", seq);
  }
}

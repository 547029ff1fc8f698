package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.DeviceDirectory;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionEvents;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a heartbeat costs the cluster nothing: on two real Hazelcast members, a session
 * table with the cluster directory opens a session (one directory operation), then takes 10,000
 * heartbeats (with and without status) — no call reaches the Hazelcast directory, no event is
 * emitted, and the cluster's event log does not move (docs/cluster.md, sizing: heartbeats stay on
 * the node that holds the socket). DESIGN.md: "Hazelcast holds the cluster-wide directory … written
 * on open and close only".
 */
@Timeout(120)
class HeartbeatsStayLocalIT {

  @Test
  void heartbeatsCauseNoHazelcastOperationOpenAndCloseDo() throws Exception {
    try (Members members = new Members()) {
      List<HazelcastInstance> two = members.start(2);
      AtomicInteger events = new AtomicInteger();
      CountingDirectory directory = new CountingDirectory(new HazelcastDirectory(two.get(0)));
      SessionTable table =
          SessionTable.builder(TableOptions.builder().build(), Clock.monotonic(), "heartbeat-node")
              .directory(directory)
              .events(counting(events))
              .executor(Runnable::run)
              .build();
      Ringbuffer<String> log = two.get(0).getRingbuffer(RingbufferEventLog.NAME);

      // given: one open session
      long beforeOpen = directory.calls.get();
      Session session =
          table
              .open(
                  new OpenRequest(
                      "heartbeat-device", "tcp", "127.0.0.1:5000", 30_000, null, (s, r) -> {}))
              .toCompletionStage()
              .toCompletableFuture()
              .get(20, TimeUnit.SECONDS);
      long afterOpen = directory.calls.get();
      assertThat(afterOpen).as("the open's claim is counted").isGreaterThan(beforeOpen);
      long logTail = log.tailSequence();
      int eventsAfterOpen = events.get();

      // when: 10,000 heartbeats, every other one with a status
      for (int i = 0; i < 10_000; i++) {
        if (i % 2 == 0) {
          table.touch(session);
        } else {
          table.touch(session, new JsonObject().put("battery", i % 100));
        }
      }

      // then: no directory operation, no event, nothing appended to the cluster's log
      assertThat(directory.calls.get()).isEqualTo(afterOpen);
      assertThat(events.get()).isEqualTo(eventsAfterOpen);
      assertThat(log.tailSequence()).isEqualTo(logTail);

      // and the close is one more directory operation
      table.close(session, CloseReason.CLIENT_CLOSED);
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> directory.calls.get() > afterOpen);
    }
  }

  /**
   * The Hazelcast directory, counting the calls the table makes on it: the table reaches Hazelcast
   * only through its directory and its event log (whose tail the test watches).
   */
  private static final class CountingDirectory implements DeviceDirectory {
    final AtomicLong calls = new AtomicLong();
    private final HazelcastDirectory delegate;

    CountingDirectory(HazelcastDirectory delegate) {
      this.delegate = delegate;
    }

    @Override
    public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
      calls.incrementAndGet();
      return delegate.claim(deviceId, sessionId, nodeId);
    }

    @Override
    public Future<Claim> claim(Session session, String nodeId) {
      calls.incrementAndGet();
      return delegate.claim(session, nodeId);
    }

    @Override
    public Future<Boolean> release(String deviceId, long sessionId) {
      calls.incrementAndGet();
      return delegate.release(deviceId, sessionId);
    }

    @Override
    public Future<Holder> holder(String deviceId) {
      calls.incrementAndGet();
      return delegate.holder(deviceId);
    }
  }

  private static SessionEvents counting(AtomicInteger events) {
    return new SessionEvents() {
      @Override
      public void opened(Session session, long at) {
        events.incrementAndGet();
      }

      @Override
      public void closed(Session session, CloseReason reason, long at) {
        events.incrementAndGet();
      }

      @Override
      public void rejected(Rejection rejection, long at) {
        events.incrementAndGet();
      }

      @Override
      public void inbound(Session session, String topic, Object payload, long at) {
        events.incrementAndGet();
      }
    };
  }
}

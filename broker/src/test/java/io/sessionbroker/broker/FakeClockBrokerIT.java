package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Ticker;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a whole broker runs on a clock and a ticker given from above ({@link
 * Broker#start(BrokerConfig, Clock, Ticker)}): the test, not the wall clock, decides when a silent
 * session expires.
 */
@Timeout(60)
class FakeClockBrokerIT {

  /** A table clock that moves only when the test says so. */
  private static final class FakeClock implements Clock {
    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);

    @Override
    public long millis() {
      return now.get();
    }

    void advance(long millis) {
      now.addAndGet(millis);
    }
  }

  /** A ticker that ticks only when the test calls {@link #tick}. */
  private static final class ManualTicker implements Ticker {
    private volatile Runnable tick;

    @Override
    public Stop start(long periodMs, Runnable tick) {
      this.tick = tick;
      return () -> this.tick = null;
    }

    void tick() {
      tick.run();
    }
  }

  /**
   * Verifies that a silent UDP session on a broker with a fake clock and a manual ticker, ticked by
   * the test every {@code table.tickMs} of that clock, is still open after the last tick before its
   * deadline and is evicted with {@code TIMEOUT} by the first tick at or after it, its close
   * stamped with that tick's time.
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void evictsASilentSessionAtTheFirstTickTheTestGivesAtOrAfterItsDeadline() throws Exception {
    FakeClock clock = new FakeClock();
    ManualTicker ticker = new ManualTicker();
    try (BrokerHarness harness = BrokerHarness.start(conf -> {}, clock, ticker);
        DatagramSocket device =
            new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      // given: a UDP device with a 100 ms heartbeat, so a 150 ms timeout; the clock stands still
      // meanwhile.
      // (Short on purpose: the stall guard holds evictions back when the clock jumps by more than
      // SessionTableVerticle.STALL_MS between the event loops' stamps.)
      long tickMs = harness.broker.config().table().tickMs();
      device.setSoTimeout((int) WAIT.toMillis());
      InetSocketAddress broker =
          new InetSocketAddress(
              InetAddress.getLoopbackAddress(), harness.broker.port(TransportName.UDP));
      send(
          device,
          broker,
          new JsonObject()
              .put("type", "hello")
              .put("device", "fake-clock-1")
              .put("nonce", "n1")
              .put("heartbeat", 0.1)
              .put("pad", "x".repeat(200)));
      assertThat(receive(device).getString("type")).isEqualTo("welcome");
      JsonObject opened = harness.await(Addresses.OPENED, "fake-clock-1");
      assertThat(opened.getLong("timeoutMs")).isEqualTo(150);
      // Silent for the whole timeout only from the next millisecond: a heartbeat stamped at t may
      // have come at
      // t + 0.9 ms (Session.deadline).
      long deadline = opened.getLong("at") + opened.getLong("timeoutMs") + 1;

      // when: the test ticks every tickMs up to the last tick before the deadline
      while (clock.millis() + tickMs < deadline) {
        clock.advance(tickMs);
        ticker.tick();
      }

      // then: the session is still open once those ticks have run (the table runs its tasks in
      // order)
      assertThat(harness.broker.table().admin().get("fake-clock-1").await(10, TimeUnit.SECONDS))
          .isNotNull();

      // when: the next tick, the first at or after the deadline
      clock.advance(tickMs);
      ticker.tick();

      // then: it is closed with TIMEOUT at that tick's time, and the device is told
      JsonObject closed = harness.await(Addresses.CLOSED, "fake-clock-1");
      assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
      assertThat(closed.getLong("at"))
          .isEqualTo(clock.millis())
          .isBetween(deadline, deadline + tickMs - 1);
      assertThat(closed.getLong("lastSeenAt")).isEqualTo(opened.getLong("at"));
      JsonObject bye = receive(device);
      assertThat(bye.getString("type")).isEqualTo("bye");
      assertThat(bye.getString("reason")).isEqualTo("TIMEOUT");
    }
  }

  private static void send(DatagramSocket socket, InetSocketAddress to, JsonObject frame)
      throws Exception {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    socket.send(new DatagramPacket(bytes, bytes.length, to));
  }

  private static JsonObject receive(DatagramSocket socket) throws Exception {
    DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
    socket.receive(packet);
    return new JsonObject(
        new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
  }
}

package io.sessionbroker.transports.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.limits.ConnectLimits.Refusal;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the connect limits hold from the moment their install completes, over real sockets:
 * a device connecting in the very next instant is counted. Added to a listening socket's pipeline
 * from another thread, Netty runs a handler's {@code handlerAdded} later on the socket's loop and
 * passes accepted sockets by it until then; the broker says it is ready when the install completes,
 * so a gate that is not active by then lets the first devices around the limits.
 */
@Timeout(120)
class AcceptGateIT {

  private static final int ROUNDS = 40;

  /**
   * Verifies that with one connect per second allowed, of two connects made right after the
   * install, one is admitted and one refused; on {@value #ROUNDS} fresh listeners, since the race
   * it guards against is a matter of microseconds.
   */
  @Test
  void aConnectRightAfterTheInstallIsCountedByTheLimits() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      for (int round = 0; round < ROUNDS; round++) {
        // given a listener whose gate allows one connect per second, just installed
        AtomicInteger accepted = new AtomicInteger();
        NetServer server = vertx.createNetServer().connectHandler(s -> accepted.incrementAndGet());
        int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
        ConnectLimits limits =
            new ConnectLimits(new LimitsOptions(1, 0, 0, 0, 1, 1), System.nanoTime());
        AcceptGate.install(server, limits, "test").get(10, TimeUnit.SECONDS);

        // when two devices connect at once
        try (Socket first = new Socket("127.0.0.1", port);
            Socket second = new Socket("127.0.0.1", port)) {
          Awaitility.await("both connects handled")
              .atMost(Duration.ofSeconds(10))
              .until(() -> accepted.get() + limits.refused(Refusal.RATE) == 2);

          // then the gate saw both: one admitted, one refused
          assertThat(limits.refused(Refusal.RATE)).as("refused in round " + round).isEqualTo(1);
          assertThat(accepted).as("admitted in round " + round).hasValue(1);
        } finally {
          server.close().await(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}

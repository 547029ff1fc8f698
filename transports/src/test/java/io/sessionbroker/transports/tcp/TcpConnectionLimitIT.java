package io.sessionbroker.transports.tcp;

import static io.sessionbroker.cluster.CloseReason.CONNECTION_LOST;
import static io.sessionbroker.transports.tcp.TcpFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tcp.maxConnections}: connections above it are refused, and a closed connection frees its
 * slot.
 */
@Timeout(60)
class TcpConnectionLimitIT {

  private static final int LIMIT = 3;
  private static TcpFixture fixture;

  @BeforeAll
  static void startTransport() throws Exception {
    fixture = new TcpFixture(new JsonObject().put("maxConnections", LIMIT));
  }

  @AfterAll
  static void stopTransport() throws Exception {
    fixture.close();
  }

  @Test
  @ExpectCloses(CONNECTION_LOST)
  void connectionsAboveTheLimitAreRefusedAndClosedOnesFreeTheirSlots() throws Exception {
    for (int round = 0; round < 3; round++) {
      List<TcpDevice> devices = new ArrayList<>();
      for (int i = 0; i < LIMIT; i++) {
        TcpDevice device = fixture.device();
        devices.add(device);
        assertThat(device.hello("limit-" + round + "-" + i, 30).getString("type"))
            .isEqualTo("welcome");
      }
      try (TcpDevice refused = fixture.device()) {
        assertThat(refused.closedByBroker(WAIT))
            .as("connection %d of round %d", LIMIT + 1, round)
            .isTrue();
      }
      for (int i = 0; i < LIMIT; i++) {
        devices.get(i).close();
        // the close event follows the socket's close handler, which frees the slot
        assertThat(fixture.await(Addresses.CLOSED, "limit-" + round + "-" + i).getString("reason"))
            .isEqualTo("CONNECTION_LOST");
      }
    }
  }
}

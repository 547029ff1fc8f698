package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import static io.sessionbroker.cluster.CloseReason.CONNECTION_LOST;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code tcp.maxConnections}: connections above it are refused, and a closed connection frees its slot. */
@Timeout(60)
class TcpConnectionLimitIT {

  private static final int LIMIT = 3;
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(conf -> conf.getJsonObject("tcp").put("maxConnections", LIMIT));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(CONNECTION_LOST)
  void connectionsAboveTheLimitAreRefusedAndClosedOnesFreeTheirSlots() throws Exception {
    for (int round = 0; round < 3; round++) {
      List<TcpDevice> devices = new ArrayList<>();
      for (int i = 0; i < LIMIT; i++) {
        TcpDevice device = harness.tcpDevice();
        devices.add(device);
        assertThat(device.hello("limit-" + round + "-" + i, 30).getString("type")).isEqualTo("welcome");
      }
      try (TcpDevice refused = harness.tcpDevice()) {
        assertThat(refused.closedByBroker(WAIT)).as("connection %d of round %d", LIMIT + 1, round).isTrue();
      }
      for (int i = 0; i < LIMIT; i++) {
        devices.get(i).close();
        // the close event follows the socket's close handler, which frees the slot
        assertThat(harness.await(Addresses.CLOSED, "limit-" + round + "-" + i).getString("reason"))
            .isEqualTo("CONNECTION_LOST");
      }
    }
  }
}

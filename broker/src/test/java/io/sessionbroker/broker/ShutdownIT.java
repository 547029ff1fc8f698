package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a stopping broker closes every session with SHUTDOWN and announces it before it
 * goes.
 */
@Timeout(60)
class ShutdownIT {

  @Test
  void gracefulStopClosesEverySessionWithShutdownAndAnnouncesIt() throws Exception {
    try (BrokerHarness harness = BrokerHarness.start();
        TcpDevice a = harness.tcpDevice();
        TcpDevice b = harness.tcpDevice();
        WsPeer ws = new WsPeer(harness.broker.port(TransportName.WEBSOCKET))) {
      a.hello("shut-a", 30);
      b.hello("shut-b", 30);
      ws.hello("shut-ws", 30);
      harness.await(Addresses.OPENED, "shut-a");
      harness.await(Addresses.OPENED, "shut-b");
      harness.await(Addresses.OPENED, "shut-ws");

      harness.stop();

      assertThat(harness.await(Addresses.CLOSED, "shut-a").getString("reason"))
          .isEqualTo("SHUTDOWN");
      assertThat(harness.await(Addresses.CLOSED, "shut-b").getString("reason"))
          .isEqualTo("SHUTDOWN");
      assertThat(harness.await(Addresses.CLOSED, "shut-ws").getString("reason"))
          .isEqualTo("SHUTDOWN");
      assertThat(a.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "SHUTDOWN"));
      assertThat(a.closedByBroker(WAIT)).isTrue();
      assertThat(ws.next())
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "SHUTDOWN"));
      assertThat(ws.closeCode()).isEqualTo(1001);
    }
  }
}

package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.ExpectCloses;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A device takes over its own session across transports. The other transport here is a plain {@code
 * table.open} under the name {@code tcp} with a connection that records how it was closed, which is
 * all a transport is to the table.
 */
@Timeout(30)
class UdpTakeoverIT {

  private UdpFixture udp;

  @BeforeEach
  void start() throws Exception {
    udp = new UdpFixture();
  }

  @AfterEach
  void stop() throws Exception {
    udp.close();
  }

  /**
   * Verifies that a UDP hello for a device online over TCP closes the TCP session with TAKEN_OVER.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void udpHelloTakesOverASessionOfAnotherTransport() throws Exception {
    // given
    CompletableFuture<CloseReason> tcpClosed = new CompletableFuture<>();
    Session tcp =
        udp.table
            .open(
                new OpenRequest(
                    "sensor-1",
                    "tcp",
                    "127.0.0.1:40000",
                    0,
                    null,
                    (session, reason) -> tcpClosed.complete(reason)))
            .await(5, TimeUnit.SECONDS);

    // when
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // then
    assertThat(tcpClosed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.TAKEN_OVER);
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("sessionId")).isEqualTo(tcp.sessionId());
    assertThat(closed.getString("transport")).isEqualTo("tcp");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    JsonObject now = udp.session("sensor-1");
    assertThat(now.getString("transport")).isEqualTo("udp");
    assertThat(now.getLong("epoch")).isEqualTo(tcp.epoch() + 1);
  }

  /**
   * Verifies that a device opening a session over another transport takes over its UDP session: it
   * closes with TAKEN_OVER, the device hears one bye saying so, and the UDP ticket stops working.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void anotherTransportTakesOverAUdpSession() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    udp.table
        .open(
            new OpenRequest("sensor-1", "tcp", "127.0.0.1:40000", 0, null, (session, reason) -> {}))
        .await(5, TimeUnit.SECONDS);

    // then
    assertThat(device.receive())
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TAKEN_OVER")
                .put("session", device.session));
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("transport")).isEqualTo("udp");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    device.send(device.frame("ping"));
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.session("sensor-1").getString("transport")).isEqualTo("tcp");
    assertThat(udp.udp.sessions()).isEqualTo(1); // the barrier's
  }
}

package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** NAT rebinding: a device whose source address changes keeps its session by showing its ticket. */
@Timeout(30)
class UdpRebindingIT {

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
   * Verifies that a valid ticket from a new source address moves the session there: the pong goes
   * to the new address, the session's remote changes, and the broker's bye later goes there too,
   * not to the old one.
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void followsAValidTicketToANewSourceAddress() throws Exception {
    // given
    UdpDevice before = udp.device("sensor-1");
    before.open(30);
    UdpDevice after = udp.moved(before);

    // when
    JsonObject pong = after.ping();

    // then
    assertThat(pong.getString("type")).isEqualTo("pong");
    assertThat(udp.session("sensor-1").getString("remote")).isEqualTo(after.remote());
    assertThat(udp.udp.stats().get(Counter.REBOUND)).isEqualTo(1);

    // when
    udp.table.admin().kick("sensor-1").await(5, TimeUnit.SECONDS);

    // then
    assertThat(after.receive().getString("reason")).isEqualTo("KICKED");
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("remote")).isEqualTo(after.remote());
    assertThat(before.repliesUntilBarrier(udp.table)).isEmpty();
  }

  /** Verifies that a wrong ticket from a new source address moves nothing. */
  @Test
  void staysWhereItIsForAWrongTicketFromANewSource() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    UdpDevice forger = udp.moved(device);
    forger.ticket = "B".repeat(22);

    // when
    forger.send(forger.frame("ping"));

    // then
    assertThat(forger.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.session("sensor-1").getString("remote")).isEqualTo(device.remote());
    assertThat(udp.udp.stats().get(Counter.REBOUND)).isZero();
    assertThat(device.ping().getString("type")).isEqualTo("pong");
  }
}

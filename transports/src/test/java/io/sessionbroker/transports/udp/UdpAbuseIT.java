package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Datagrams that are not what they should be: malformed, oversized, of unknown type, floods,
 * spoofing.
 */
@Timeout(30)
class UdpAbuseIT {

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
   * Verifies that datagrams that are not a JSON object with a type are dropped, counted and
   * unanswered.
   */
  @Test
  void dropsAndCountsMalformedDatagrams() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");

    // when
    for (String datagram : List.of("not json", "{\"type\":", "[1,2]", "{\"type\":7}", "{}", "")) {
      device.send(datagram.getBytes(StandardCharsets.UTF_8));
    }

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.MALFORMED)).isEqualTo(6);
    assertThat(
            udp.tables
                .await(Addresses.REJECTED, e -> "bad_frame".equals(e.getString("code")))
                .getString("remote"))
        .isEqualTo(device.remote());
  }

  /**
   * Verifies that a datagram over the 1 KiB maximum is dropped unread, even with a valid ticket.
   */
  @Test
  void dropsAndCountsOversizedDatagrams() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    JsonObject ping = device.frame("ping");

    // when
    device.send(UdpDevice.padded(ping.copy(), 1025));
    device.send(new byte[1500]);

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.OVERSIZED)).isEqualTo(2);
    assertThat(udp.udp.stats().get(Counter.PING)).isZero();
    for (int i = 0; i < 2; i++) {
      JsonObject rejected =
          udp.tables.await(Addresses.REJECTED, e -> "frame_too_large".equals(e.getString("code")));
      assertThat(rejected.getString("remote")).isEqualTo(device.remote());
    }

    // when: 1,024 bytes is still allowed
    device.send(UdpDevice.padded(ping.copy(), 1024));

    // then
    assertThat(device.receive().getString("type")).isEqualTo("pong");
  }

  /**
   * Verifies that an unknown type is answered with an error only when it carries a valid ticket.
   */
  @Test
  void answersAnUnknownTypeWithAnErrorOnlyForAValidTicket() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    JsonObject unknown = device.frame("subscribe");

    // when
    device.send(unknown.copy().put("ticket", "wrong"));

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();

    // when
    device.send(unknown);

    // then
    JsonObject error = device.receive();
    assertThat(error.getString("type")).isEqualTo("error");
    assertThat(error.getString("code")).isEqualTo("protocol_error");
    assertThat(udp.udp.stats().dropped(Drop.UNKNOWN_TYPE)).isEqualTo(2);
    assertThat(udp.udp.stats().get(Counter.ERROR_SENT)).isEqualTo(1);
    assertThat(device.ping().getString("type")).isEqualTo("pong");
  }

  /**
   * Verifies that a ping whose status is not an object gets an error, and the session goes on
   * untouched.
   */
  @Test
  void answersABadStatusWithAnErrorAndKeepsTheSession() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);

    // when
    device.send(device.frame("ping").put("status", "full"));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("protocol_error");
    assertThat(udp.udp.stats().dropped(Drop.BAD_FIELD)).isEqualTo(1);
    assertThat(udp.session("sensor-1").getValue("status")).isNull();
    assertThat(device.ping().getString("type")).isEqualTo("pong");
  }

  /**
   * Verifies that no datagram without a valid ticket is ever answered with more bytes than it
   * carried, from a source the broker knows (it holds a session) or not: the broker cannot be used
   * to amplify a spoofed flood.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void neverAnswersAnUnauthenticatedDatagramWithMoreBytesThanItCarried() throws Exception {
    // given
    UdpDevice known = udp.device("sensor-1");
    known.open(30);
    UdpDevice stranger = udp.device("stranger");
    int welcomeBytes = UdpFrames.welcomeLength(udp.table.options().negotiate(30_000), "n");
    List<JsonObject> datagrams =
        List.of(
            UdpDevice.hello("sensor-1", "n2", 30),
            UdpDevice.padded(UdpDevice.hello("sensor-2", "n", 30), welcomeBytes - 1),
            UdpDevice.padded(UdpDevice.hello("sensor-3", "n", 30), welcomeBytes),
            new JsonObject().put("type", "hello"),
            new JsonObject().put("type", "ping"),
            new JsonObject().put("type", "ping").put("device", "sensor-1"),
            new JsonObject().put("type", "ping").put("device", "sensor-1").put("ticket", "x"),
            new JsonObject().put("type", "data").put("device", "sensor-1").put("payload", 1),
            new JsonObject().put("type", "bye").put("device", "sensor-1"),
            new JsonObject().put("type", "subscribe"),
            new JsonObject().put("type", "error"),
            new JsonObject().put("type", "welcome"));

    for (UdpDevice source : List.of(known, stranger)) {
      for (JsonObject datagram : datagrams) {
        byte[] request = datagram.encode().getBytes(StandardCharsets.UTF_8);

        // when
        source.send(request);

        // then
        for (byte[] reply : source.repliesUntilBarrier(udp.table)) {
          assertThat(reply.length)
              .as("reply " + new String(reply, StandardCharsets.UTF_8) + " to " + datagram.encode())
              .isLessThanOrEqualTo(request.length);
        }
      }
    }
  }

  /**
   * Verifies that a flood of bad datagrams is counted in full but reported at the configured rate
   * only.
   */
  @Test
  void reportsAFloodOfBadDatagramsAtALimitedRate() throws Exception {
    // given
    UdpDevice forger = udp.device("forger");
    long before = udp.udp.stats().get(Counter.REJECTION_EVENTS);
    long started = System.nanoTime();

    // when
    for (int i = 0; i < 200; i++) {
      forger.send(
          new JsonObject().put("type", "ping").put("device", "sensor-" + i).put("ticket", "x"));
    }

    // then
    assertThat(forger.repliesUntilBarrier(udp.table)).isEmpty();
    UdpStats stats = udp.udp.stats();
    assertThat(stats.dropped(Drop.BAD_TICKET)).isEqualTo(200);
    long reported = stats.get(Counter.REJECTION_EVENTS) - before;
    assertThat(reported + stats.get(Counter.REJECTION_EVENTS_SUPPRESSED)).isEqualTo(200);
    // 10 events per one-second window, and the flood spans as many windows as it took seconds, plus
    // one.
    long windows = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 2;
    assertThat(reported).isBetween(10L, 10 * windows);
  }
}

package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reading a UDP socket in batches ({@link ReadPacer}, {@code udp.readPauseMicros}) on the native
 * transport, as the broker runs: datagrams that arrive while a socket is left alone wait and are
 * all answered, a burst larger than one read is read without a pause between its reads, and {@code
 * recvmmsg}'s fixed slots still tell an oversized datagram from one that fits.
 */
@Timeout(30)
class UdpReadPacingIT {

  /** Long enough to tell a paused socket from one read at once on a loaded machine. */
  private static final int PAUSE_MS = 300;

  private UdpFixture udp;

  @BeforeEach
  void start() throws Exception {
    UdpOptions options =
        new UdpOptions("127.0.0.1", 0, 1024, 1, 0, 10, 0).withReadPauseMicros(PAUSE_MS * 1000);
    udp =
        new UdpFixture(options, DeviceAuth.NONE, new VertxOptions().setPreferNativeTransport(true));
    assumeTrue(udp.tables.vertx.isNativeTransportEnabled(), "native transport unavailable here");
  }

  @AfterEach
  void stop() throws Exception {
    udp.close();
  }

  /**
   * Verifies that heartbeats arriving just after a read wait for the pause to end, and are then all
   * answered: a paused socket holds datagrams back, it does not lose them.
   */
  @Test
  void heartbeatsArrivingDuringThePauseAreAnsweredWhenItEnds() throws Exception {
    // given: a session, and a pong whose read has just started a pause
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    assertThat(device.ping().getString("type")).isEqualTo("pong");
    long pausedAt = System.nanoTime();

    // when
    for (int i = 0; i < 5; i++) {
      device.send(device.frame("ping"));
    }

    // then
    assertThat(device.receive().getString("type")).isEqualTo("pong");
    long waitedMs = Duration.ofNanos(System.nanoTime() - pausedAt).toMillis();
    assertThat(waitedMs).as("held back until the pause ends").isGreaterThanOrEqualTo(PAUSE_MS / 2);
    for (int i = 1; i < 5; i++) {
      assertThat(device.receive().getString("type")).isEqualTo("pong");
    }
    assertThat(udp.udp.stats().get(Counter.PING)).isEqualTo(6);
  }

  /**
   * Verifies that a burst larger than one read takes is read in consecutive reads with no pause
   * between them: a pause only follows a read that emptied the socket, so it never caps the rate a
   * socket can take.
   */
  @Test
  void aBurstLargerThanOneReadIsReadWithoutPausesBetweenItsReads() throws Exception {
    // given: a session, and a pause just started
    UdpDevice device = udp.device("sensor-2");
    device.open(30);
    assertThat(device.ping().getString("type")).isEqualTo("pong");
    int burst = 3 * DatagramTuning.MESSAGES_PER_READ + 5;

    byte[] ping = device.frame("ping").encode().getBytes(StandardCharsets.UTF_8);

    // when: the burst arrives within that pause (the bytes made once: a cold JVM encodes slowly)
    for (int i = 0; i < burst; i++) {
      device.send(ping);
    }

    // then: four reads back to back, not four pauses apart
    assertThat(device.receive().getString("type")).isEqualTo("pong");
    long first = System.nanoTime();
    for (int i = 1; i < burst; i++) {
      assertThat(device.receive().getString("type")).isEqualTo("pong");
    }
    long spreadMs = Duration.ofNanos(System.nanoTime() - first).toMillis();
    assertThat(spreadMs).as("from the burst's first pong to its last").isLessThan(PAUSE_MS * 2 / 3);
    assertThat(udp.udp.stats().get(Counter.PING)).isEqualTo(burst + 1);
  }

  /**
   * Verifies that on io_uring, where reads are not paced, a burst is answered at once: with a pause
   * after each of its reads, 20 pings took several pauses.
   */
  @Test
  void ioUringSocketsAreNotPaused() throws Exception {
    // given: the transport on io_uring, with the same pause configured
    assumeTrue(
        Transport.IO_URING != null && Transport.IO_URING.available(), "io_uring unavailable here");
    udp.close();
    UdpOptions options =
        new UdpOptions("127.0.0.1", 0, 1024, 1, 0, 10, 0).withReadPauseMicros(PAUSE_MS * 1000);
    udp = new UdpFixture(options, DeviceAuth.NONE, Transport.IO_URING);
    UdpDevice device = udp.device("sensor-4");
    device.open(30);
    assertThat(device.ping().getString("type")).isEqualTo("pong");
    byte[] ping = device.frame("ping").encode().getBytes(StandardCharsets.UTF_8);
    long sent = System.nanoTime();

    // when
    for (int i = 0; i < 20; i++) {
      device.send(ping);
    }

    // then
    for (int i = 0; i < 20; i++) {
      assertThat(device.receive().getString("type")).isEqualTo("pong");
    }
    long tookMs = Duration.ofNanos(System.nanoTime() - sent).toMillis();
    assertThat(tookMs).as("20 pongs, not held back").isLessThan(PAUSE_MS / 2);
  }

  /**
   * Verifies that with several datagrams read per {@code recvmmsg} into slots of the maximum size
   * plus one byte, a datagram one byte over the maximum or far over it is still dropped as
   * oversized, one of exactly the maximum is read whole, and the socket goes on serving.
   */
  @Test
  void slotsOfSeveralDatagramsPerCallStillTellOversizedDatagrams() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-3");
    device.open(30);

    // when: a datagram of 1,024 bytes (the maximum), 1,025 and 3,000, then a ping
    device.send(UdpDevice.padded(device.frame("ping"), 1024));
    device.send(UdpDevice.padded(device.frame("ping"), 1025));
    device.send(new byte[3000]);
    device.send(device.frame("ping"));

    // then
    assertThat(device.repliesUntilBarrier(udp.table))
        .extracting(reply -> Buffer.buffer(reply).toJsonObject().getString("type"))
        .containsExactly("pong", "pong");
    assertThat(udp.udp.stats().dropped(Drop.OVERSIZED)).isEqualTo(2);
    assertThat(udp.udp.stats().get(Counter.PING)).isEqualTo(2);
  }
}

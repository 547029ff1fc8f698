package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP on a node cut off from its cluster ({@code table.fence().raise()}, docs/cluster.md, split
 * brain): new sessions are refused with an {@code unavailable} error, as on TCP, so the device goes
 * to another node; the sessions already open carry on.
 */
@Timeout(30)
class UdpFencedIT {

  private static final JsonObject UNAVAILABLE =
      new JsonObject()
          .put("type", "error")
          .put("code", "unavailable")
          .put("message", "the session could not be opened, try again");

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
   * Verifies that a fenced node answers a hello with one {@code unavailable} error no longer than
   * the hello, even the shortest hello it answers at all, and opens no session.
   */
  @Test
  void refusesAHelloWithAnUnavailableErrorNoLongerThanTheHello() throws Exception {
    // given
    UdpDevice device = udp.device("fenced-1");
    String nonce = "boot-1";
    int welcomeBytes = UdpFrames.welcomeLength(udp.table.options().negotiate(30_000), nonce);
    byte[] hello =
        UdpDevice.padded(UdpDevice.hello(device.deviceId, nonce, 30), welcomeBytes)
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    udp.table.fence().raise();

    // when
    device.send(hello);

    // then
    byte[] reply = device.receive(Duration.ofSeconds(5));
    assertThat(reply).as("an answer within 5 s").isNotNull();
    assertThat(Buffer.buffer(reply).toJsonObject()).isEqualTo(UNAVAILABLE);
    assertThat(reply.length).isLessThanOrEqualTo(hello.length);
    assertThat(udp.session(device.deviceId)).isNull();
    assertThat(udp.udp.sessions()).isZero();
    assertThat(udp.udp.stats().get(Counter.ERROR_SENT)).isEqualTo(1);
    assertThat(udp.udp.stats().get(Counter.WELCOME_SENT)).isZero();

    // then: nothing more for it, not even once the node is back (the barrier needs a node that
    // opens sessions)
    udp.table.fence().lower();
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    udp.tables.settle();
    assertThat(udp.tables.pending())
        .noneMatch(
            e ->
                Addresses.OPENED.equals(e.address())
                    && device.deviceId.equals(e.body().getString("deviceId")));
  }

  /**
   * Verifies that a fenced node leaves an open UDP session alone: its pings are answered, and the
   * device's new hello, which would take it over, is refused, so that its ticket still works.
   */
  @Test
  void keepsAnOpenSessionAndRefusesItsTakeoverWhileFenced() throws Exception {
    // given
    UdpDevice device = udp.device("fenced-2");
    device.open(30);
    String session = device.session;
    udp.table.fence().raise();

    // when
    JsonObject pong = device.ping();
    device.send(
        UdpDevice.padded(UdpDevice.hello(device.deviceId, "boot-2", 30), UdpDevice.HELLO_BYTES));

    // then
    assertThat(pong).isEqualTo(new JsonObject().put("type", "pong"));
    assertThat(device.receive()).isEqualTo(UNAVAILABLE);
    assertThat(device.ping()).isEqualTo(new JsonObject().put("type", "pong"));
    assertThat(udp.session(device.deviceId).getString("sessionId")).isEqualTo(session);
  }

  /** Verifies that once the node is no longer fenced, the hello it refused opens the session. */
  @Test
  void opensTheSessionOnceNoLongerFenced() throws Exception {
    // given
    UdpDevice device = udp.device("fenced-3");
    JsonObject hello =
        UdpDevice.padded(UdpDevice.hello(device.deviceId, "boot-3", 30), UdpDevice.HELLO_BYTES);
    udp.table.fence().raise();
    device.send(hello);
    assertThat(device.receive()).isEqualTo(UNAVAILABLE);

    // when
    udp.table.fence().lower();
    device.send(hello);

    // then
    JsonObject welcome = device.receive();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    assertThat(welcome.getString("nonce")).isEqualTo("boot-3");
    JsonObject opened = udp.tables.await(Addresses.OPENED, device.deviceId);
    assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));
  }
}

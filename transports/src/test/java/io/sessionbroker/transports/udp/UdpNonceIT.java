package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hello's {@code nonce}, rule by rule as docs/protocol.md states them (UDP: frames, padding,
 * repeated hellos), with raw datagrams. A repeat of the same nonce from the same source, and a new
 * nonce, are in {@link UdpHandshakeIT}.
 */
@Timeout(30)
class UdpNonceIT {

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
   * Verifies that nonces of 1 and of 64 characters are accepted and echoed, unchanged, by their
   * welcomes.
   */
  @Test
  void echoesANonceOfOneToSixtyFourCharactersInTheWelcome() throws Exception {
    for (String nonce : List.of("7", "n".repeat(64))) {
      // given
      UdpDevice device = udp.device("nonce-" + nonce.length());

      // when
      device.send(
          UdpDevice.padded(
              UdpDevice.hello(device.deviceId, nonce, 30), UdpDevice.HELLO_BYTES + 64));

      // then
      JsonObject welcome = device.receive();
      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(welcome.getString("nonce")).isEqualTo(nonce);
    }
  }

  /** Verifies that a hello without a nonce is welcomed, with a welcome that has no nonce either. */
  @Test
  void welcomesAHelloWithoutANonceWithoutOne() throws Exception {
    // given
    UdpDevice device = udp.device("no-nonce-1");
    JsonObject hello =
        new JsonObject().put("type", "hello").put("device", device.deviceId).put("heartbeat", 30);

    // when
    device.send(UdpDevice.padded(hello, UdpDevice.HELLO_BYTES));

    // then
    assertThat(device.receive().fieldNames())
        .containsExactly("type", "session", "heartbeat", "timeout", "ticket");
  }

  /**
   * Verifies that a hello whose nonce is empty, longer than 64 characters or not a string is
   * dropped unanswered, counted and reported as {@code bad_hello}, and opens nothing.
   */
  @Test
  void dropsAHelloWhoseNonceIsEmptyTooLongOrNotAString() throws Exception {
    // given
    UdpDevice device = udp.device("bad-nonce-1");
    JsonObject hello = UdpDevice.hello(device.deviceId, "n", 30);

    // when
    for (Object nonce : List.of("", "n".repeat(65), 42)) {
      device.send(UdpDevice.padded(hello.copy().put("nonce", nonce), 2 * UdpDevice.HELLO_BYTES));
    }

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.BAD_HELLO)).isEqualTo(3);
    for (int i = 0; i < 3; i++) {
      JsonObject rejected = udp.tables.await(Addresses.REJECTED, device.deviceId);
      assertThat(rejected.getString("code")).isEqualTo("bad_hello");
      assertThat(rejected.getString("remote")).isEqualTo(device.remote());
    }
    assertThat(udp.session(device.deviceId)).isNull();
  }

  /**
   * Verifies the padding rule: a hello padded to 160 bytes plus the length of its nonce is
   * answered, with the longest nonce and the longest heartbeat and timeout figures; padded to 160
   * bytes alone it is not.
   */
  @Test
  void answersAHelloPaddedToOneHundredSixtyBytesPlusItsNonce() throws Exception {
    // given: a 64-character nonce, and a heartbeat whose figures are as long as they get (299.999
    // s, 449.999 s)
    UdpDevice device = udp.device("padded-1");
    String nonce = "n".repeat(64);
    JsonObject hello = UdpDevice.hello(device.deviceId, nonce, 299.999);

    // when
    device.send(UdpDevice.padded(hello.copy(), 160));

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.HELLO_TOO_SMALL)).isEqualTo(1);

    // when
    device.send(UdpDevice.padded(hello.copy(), 160 + nonce.length()));

    // then
    byte[] welcome = device.receive(Duration.ofSeconds(5));
    assertThat(welcome).as("a welcome within 5 s").isNotNull();
    JsonObject frame = Buffer.buffer(welcome).toJsonObject();
    assertThat(frame.getString("type")).isEqualTo("welcome");
    assertThat(frame.getValue("heartbeat")).hasToString("299.999");
    assertThat(frame.getString("nonce")).isEqualTo(nonce);
    assertThat(welcome.length).isGreaterThan(160).isLessThanOrEqualTo(160 + nonce.length());
  }

  /**
   * Verifies that the same hello, same nonce, from another source address is a new hello, not a
   * repeat: it opens a new session with a new ticket, which takes over the old one; the old address
   * hears the bye naming the old session, and the old ticket stops working.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void takesTheSameNonceFromAnotherSourceForANewHello() throws Exception {
    // given
    UdpDevice device = udp.device("moving-1");
    byte[] hello =
        bytes(
            UdpDevice.padded(
                UdpDevice.hello(device.deviceId, "boot-1", 30), UdpDevice.HELLO_BYTES));
    device.send(hello);
    JsonObject first = device.receive();
    UdpDevice elsewhere = udp.moved(device);

    // when
    elsewhere.send(hello);

    // then
    JsonObject second = elsewhere.receive();
    assertThat(second.getString("type")).isEqualTo("welcome");
    assertThat(second.getString("nonce")).isEqualTo("boot-1");
    assertThat(second.getString("session")).isNotEqualTo(first.getString("session"));
    assertThat(second.getString("ticket")).isNotEqualTo(first.getString("ticket"));
    assertThat(device.receive())
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TAKEN_OVER")
                .put("session", first.getString("session")));
    JsonObject closed = udp.tables.await(Addresses.CLOSED, device.deviceId);
    assertThat(closed.getString("sessionId")).isEqualTo(first.getString("session"));
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(udp.udp.stats().get(Counter.HELLO_REPEATED)).isZero();
    device.ticket = first.getString("ticket");
    device.send(device.frame("ping"));
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
  }

  /**
   * Verifies that a hello without a nonce is never taken for a repeat: the same hello twice from
   * the same source opens two sessions, the second taking over the first.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void neverTakesAHelloWithoutANonceForARepeat() throws Exception {
    // given
    UdpDevice device = udp.device("no-nonce-2");
    byte[] hello =
        bytes(
            UdpDevice.padded(
                new JsonObject()
                    .put("type", "hello")
                    .put("device", device.deviceId)
                    .put("heartbeat", 30),
                UdpDevice.HELLO_BYTES));
    device.send(hello);
    JsonObject first = device.receive();

    // when
    device.send(hello);

    // then: the bye of the first session and the second welcome may arrive in either order
    JsonObject one = device.receive();
    JsonObject other = device.receive();
    JsonObject second = "welcome".equals(one.getString("type")) ? one : other;
    JsonObject bye = second == one ? other : one;
    assertThat(second.getString("type")).isEqualTo("welcome");
    assertThat(second.getString("session")).isNotEqualTo(first.getString("session"));
    assertThat(bye)
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TAKEN_OVER")
                .put("session", first.getString("session")));
    assertThat(udp.tables.await(Addresses.CLOSED, device.deviceId).getString("reason"))
        .isEqualTo("TAKEN_OVER");
    assertThat(udp.udp.stats().get(Counter.HELLO_REPEATED)).isZero();
  }

  private static byte[] bytes(JsonObject frame) {
    return frame.encode().getBytes(StandardCharsets.UTF_8);
  }
}

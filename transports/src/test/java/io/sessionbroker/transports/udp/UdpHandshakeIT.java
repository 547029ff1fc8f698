package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** hello → welcome over UDP: the ticket, repeated hellos, new hellos, padding, authentication. */
@Timeout(30)
class UdpHandshakeIT {

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
   * Verifies that a hello opens a session and the welcome carries its id, liveness terms and a
   * ticket.
   */
  @Test
  void welcomesAHelloWithSessionLivenessAndTicket() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");

    // when
    JsonObject welcome = device.open(30);

    // then
    assertThat(welcome.fieldNames())
        .containsExactly("type", "session", "heartbeat", "timeout", "ticket", "nonce");
    assertThat(welcome.getString("session")).matches("[0-9a-f]{16}");
    assertThat(welcome.getInteger("heartbeat")).isEqualTo(30);
    assertThat(welcome.getInteger("timeout")).isEqualTo(45);
    assertThat(welcome.getString("ticket")).matches("[A-Za-z0-9_-]{22}");
    JsonObject opened = udp.tables.await(Addresses.OPENED, "sensor-1");
    assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));
    assertThat(opened.getString("transport")).isEqualTo("udp");
    assertThat(opened.getString("remote")).isEqualTo(device.remote());
    assertThat(udp.session("sensor-1").getString("remote")).isEqualTo(device.remote());
  }

  /**
   * Verifies that tickets differ from session to session: they are drawn at random, not derived.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void givesEverySessionItsOwnTicket() throws Exception {
    // when
    String first = udp.device("sensor-1").open(30).getString("ticket");
    String second = udp.device("sensor-2").open(30).getString("ticket");
    String again = udp.device("sensor-1").open(30).getString("ticket");

    // then
    assertThat(first).isNotEqualTo(second).isNotEqualTo(again);
  }

  /**
   * Verifies that a device whose welcome was lost gets the same welcome again when it repeats its
   * hello (same nonce, same source), and that no second session is opened nor the first taken over.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void answersARepeatedHelloWithTheSameWelcome() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    byte[] hello =
        bytes(UdpDevice.padded(UdpDevice.hello("sensor-1", "boot-7", 30), UdpDevice.HELLO_BYTES));
    device.send(hello);
    byte[] welcome = device.receive(Duration.ofSeconds(5));
    udp.tables.await(Addresses.OPENED, "sensor-1");

    // when
    device.send(hello);
    byte[] repeated = device.receive(Duration.ofSeconds(5));

    // then
    assertThat(repeated).isEqualTo(welcome);
    assertThat(udp.udp.stats().get(Counter.HELLO_REPEATED)).isEqualTo(1);
    device.ticket = Buffer.buffer(welcome).toJsonObject().getString("ticket");
    assertThat(device.ping().getString("type")).isEqualTo("pong");
    device.send(device.frame("bye"));
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
    assertThat(udp.tables.pending())
        .noneMatch(e -> "sensor-1".equals(e.body().getString("deviceId")));
    assertThat(udp.udp.stats().get(Counter.HELLO)).isEqualTo(2);
  }

  /**
   * Verifies that a hello with a new nonce (the device restarted) opens a new session that takes
   * over the old one: the old session closes with TAKEN_OVER, the device hears a bye naming it, and
   * its ticket stops working.
   */
  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void takesOverTheSessionOnAHelloWithANewNonce() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    device.open(30);
    String oldSession = device.session;
    String oldTicket = device.ticket;

    // when
    device.send(UdpDevice.padded(UdpDevice.hello("sensor-1", "boot-8", 30), UdpDevice.HELLO_BYTES));

    // then
    // The bye (sent as the old session closes) and the welcome may arrive in either order.
    JsonObject first = device.receive();
    JsonObject second = device.receive();
    JsonObject bye = "bye".equals(first.getString("type")) ? first : second;
    JsonObject welcome = bye == first ? second : first;
    assertThat(bye)
        .isEqualTo(
            new JsonObject()
                .put("type", "bye")
                .put("reason", "TAKEN_OVER")
                .put("session", oldSession));
    assertThat(welcome.getString("session")).isNotEqualTo(oldSession);
    JsonObject closed = udp.tables.await(Addresses.CLOSED, "sensor-1");
    assertThat(closed.getString("sessionId")).isEqualTo(oldSession);
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    device.ticket = oldTicket;
    device.send(device.frame("ping"));
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.BAD_TICKET)).isEqualTo(1);
  }

  /**
   * Verifies that a hello shorter than the welcome it asks for gets no answer at all (the broker
   * must not amplify a spoofed source), is counted, and reported; and that a hello exactly as long
   * as its welcome is answered.
   */
  @Test
  void answersOnlyAHelloAtLeastAsLongAsItsWelcome() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");
    JsonObject hello = UdpDevice.hello("sensor-1", "n1", 30);
    int welcomeBytes = UdpFrames.welcomeLength(udp.table.options().negotiate(30_000), "n1");

    // when
    device.send(UdpDevice.padded(hello.copy(), welcomeBytes - 1));

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.HELLO_TOO_SMALL)).isEqualTo(1);
    JsonObject rejected = udp.tables.await(Addresses.REJECTED, "sensor-1");
    assertThat(rejected.getString("code")).isEqualTo("hello_too_small");
    assertThat(rejected.getString("remote")).isEqualTo(device.remote());

    // when
    device.send(UdpDevice.padded(hello.copy(), welcomeBytes));

    // then
    byte[] welcome = device.receive(Duration.ofSeconds(5));
    assertThat(welcome).hasSize(welcomeBytes);
  }

  /**
   * Verifies that a hello without a usable device id is dropped, counted and reported, and gets no
   * answer.
   */
  @Test
  void dropsABadHello() throws Exception {
    // given
    UdpDevice device = udp.device("sensor-1");

    // when
    device.send(UdpDevice.padded(new JsonObject().put("type", "hello").put("heartbeat", 30), 160));
    device.send(
        UdpDevice.padded(UdpDevice.hello("sensor-1", "n", 30).put("heartbeat", "soon"), 160));

    // then
    assertThat(device.repliesUntilBarrier(udp.table)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.BAD_HELLO)).isEqualTo(2);
    for (int i = 0; i < 2; i++) {
      JsonObject rejected =
          udp.tables.await(Addresses.REJECTED, e -> "bad_hello".equals(e.getString("code")));
      assertThat(rejected.getString("remote")).isEqualTo(device.remote());
      assertThat(rejected.getString("transport")).isEqualTo("udp");
    }
    assertThat(udp.session("sensor-1")).isNull();
  }

  /**
   * Verifies that heartbeat 0, which means "rely on the transport" on TCP, gets the default
   * heartbeat on UDP.
   */
  @Test
  void grantsTheDefaultHeartbeatForHeartbeatZero() throws Exception {
    JsonObject welcome = udp.device("sensor-1").open(0);

    assertThat(welcome.getInteger("heartbeat")).isEqualTo(30);
    assertThat(welcome.getInteger("timeout")).isEqualTo(45);
  }

  /**
   * Verifies that with device authentication on, a hello with a wrong or no token is dropped
   * unanswered, counted and reported, and opens nothing; and that the device's own token opens its
   * session.
   */
  @Test
  void dropsAHelloWhoseTokenDoesNotAuthenticateTheDevice() throws Exception {
    // given
    udp.close();
    DeviceAuth auth = DeviceAuth.withSecret("a-secret-of-sixteen-chars");
    udp = new UdpFixture(UdpOptions.defaults().withPort(0), auth);
    UdpDevice device = udp.device("sensor-1");
    JsonObject hello = UdpDevice.hello("sensor-1", "n", 30);

    // when
    device.send(UdpDevice.padded(hello.copy().put("token", "forged"), 200));
    device.send(UdpDevice.padded(hello.copy(), 200));

    // then
    assertThat(device.repliesUntilBarrier(udp.table, auth)).isEmpty();
    assertThat(udp.udp.stats().dropped(Drop.AUTH_FAILED)).isEqualTo(2);
    assertThat(udp.tables.await(Addresses.REJECTED, "sensor-1").getString("code"))
        .isEqualTo("auth_failed");
    assertThat(udp.tables.await(Addresses.REJECTED, "sensor-1").getString("code"))
        .isEqualTo("auth_failed");
    assertThat(udp.session("sensor-1")).isNull();

    // when
    device.send(UdpDevice.padded(hello.copy().put("token", auth.tokenFor("sensor-1")), 200));

    // then
    assertThat(device.receive().getString("type")).isEqualTo("welcome");
  }

  private static byte[] bytes(JsonObject frame) {
    return frame.encode().getBytes(StandardCharsets.UTF_8);
  }
}

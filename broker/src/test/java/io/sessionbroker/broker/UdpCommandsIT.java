package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.UdpTestDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies commands to UDP devices (docs/protocol.md, "Commands"): datagrams get lost, so the
 * broker resends with backoff until the reply; duplicate replies are harmless; and no command goes
 * to an address that has not shown the session's ticket (no amplification toward a forged source).
 */
@Timeout(60)
class UdpCommandsIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  private static UdpTestDevice device() throws Exception {
    return new UdpTestDevice(harness.broker.port(TransportName.UDP), WAIT);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  private static CompletableFuture<JsonObject> send(JsonObject command) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return harness.bridge.exchange(Addresses.COMMAND, command, Duration.ofSeconds(30));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * Verifies that a device that loses the first two command datagrams gets the third (resent after
   * 0.5 s and 1.5 s), and that its answer, sent twice, reaches the sender once and leaves the
   * session as it was.
   */
  @Test
  void lostCommandDatagramsAreResentAndDuplicateRepliesAreHarmless() throws Exception {
    try (UdpTestDevice device = device()) {
      // given
      device.hello("udp-cmd-1");
      device.ping();

      // when
      CompletableFuture<JsonObject> pending =
          send(new JsonObject().put("deviceId", "udp-cmd-1").put("name", "reboot"));
      JsonObject first = device.receive(); // lost
      JsonObject second = device.receive(); // lost
      JsonObject third = device.receive();
      JsonObject reply =
          device
              .ticketed("reply")
              .put("id", third.getString("id"))
              .put("status", 200)
              .put("payload", "ok");
      device.send(reply);
      device.send(reply);

      // then
      assertThat(first.getString("type")).isEqualTo("command");
      assertThat(second).isEqualTo(first);
      assertThat(third).isEqualTo(first);
      assertThat(pending.get(30, TimeUnit.SECONDS).getJsonObject("body"))
          .isEqualTo(new JsonObject().put("status", 200).put("payload", "ok"));
      assertThat(device.ping().getString("type")).isEqualTo("pong");
      assertThat(device.nothingWithin(Duration.ofMillis(2_500)))
          .isTrue(); // past the next resend (3.5 s)
    }
  }

  /**
   * Verifies that no command datagram goes to an address that has not shown the ticket since the
   * welcome (a forged hello's source would otherwise get every command and its resends), and that
   * it goes out once the device has pinged.
   */
  @Test
  void noCommandGoesToAnAddressBeforeItHasShownItsTicket() throws Exception {
    try (UdpTestDevice device = device()) {
      // given
      device.hello("udp-cmd-2");

      // when
      CompletableFuture<JsonObject> pending =
          send(new JsonObject().put("deviceId", "udp-cmd-2").put("name", "reboot"));

      // then
      assertThat(device.nothingWithin(Duration.ofMillis(800))).isTrue();
      assertThat(device.ping().getString("type")).isEqualTo("pong");
      JsonObject command = device.receive();
      device.send(device.ticketed("reply").put("id", command.getString("id")).put("status", 204));
      assertThat(pending.get(30, TimeUnit.SECONDS).getJsonObject("body").getInteger("status"))
          .isEqualTo(204);
    }
  }

  /** Verifies that a command that does not fit a datagram fails with 413. */
  @Test
  void aCommandLargerThanADatagramFailsWith413() throws Exception {
    try (UdpTestDevice device = device()) {
      device.hello("udp-cmd-3");
      device.ping();

      JsonObject answer =
          send(new JsonObject()
                  .put("deviceId", "udp-cmd-3")
                  .put("name", "write")
                  .put("payload", "x".repeat(2_000)))
              .get(30, TimeUnit.SECONDS);

      assertThat(answer.getInteger("failureCode")).isEqualTo(413);
    }
  }
}

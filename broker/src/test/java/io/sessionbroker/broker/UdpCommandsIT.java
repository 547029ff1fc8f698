package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
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
    try (Device device = new Device()) {
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
    try (Device device = new Device()) {
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
    try (Device device = new Device()) {
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

  /** A UDP device on a plain JDK datagram socket. */
  private static final class Device implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress broker;
    private String device;
    private String ticket;

    Device() throws Exception {
      socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      socket.setSoTimeout((int) WAIT.toMillis());
      broker =
          new InetSocketAddress(
              InetAddress.getLoopbackAddress(), harness.broker.port(TransportName.UDP));
    }

    void hello(String deviceId) throws Exception {
      device = deviceId;
      send(
          new JsonObject()
              .put("type", "hello")
              .put("device", deviceId)
              .put("nonce", "n1")
              .put("heartbeat", 30)
              .put("pad", "x".repeat(200)));
      ticket = receive().getString("ticket");
    }

    JsonObject ping() throws Exception {
      send(ticketed("ping"));
      JsonObject answer = receive();
      while ("command".equals(answer.getString("type"))) { // a resend crossing the ping
        answer = receive();
      }
      return answer;
    }

    JsonObject ticketed(String type) {
      return new JsonObject().put("type", type).put("device", device).put("ticket", ticket);
    }

    void send(JsonObject frame) throws Exception {
      byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
      socket.send(new DatagramPacket(bytes, bytes.length, broker));
    }

    JsonObject receive() throws Exception {
      DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
      socket.receive(packet);
      return new JsonObject(
          new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
    }

    /** Whether no datagram arrives within {@code window}: for what must not be sent. */
    boolean nothingWithin(Duration window) throws Exception {
      socket.setSoTimeout((int) window.toMillis());
      try {
        socket.receive(new DatagramPacket(new byte[2048], 2048));
        return false;
      } catch (SocketTimeoutException e) {
        return true;
      } finally {
        socket.setSoTimeout((int) WAIT.toMillis());
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }
}

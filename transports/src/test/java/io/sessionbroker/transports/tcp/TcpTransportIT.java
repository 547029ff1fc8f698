package io.sessionbroker.transports.tcp;

import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static io.sessionbroker.cluster.CloseReason.CONNECTION_LOST;
import static io.sessionbroker.cluster.CloseReason.PROTOCOL_ERROR;
import static io.sessionbroker.cluster.CloseReason.TAKEN_OVER;
import static io.sessionbroker.cluster.CloseReason.TIMEOUT;
import static io.sessionbroker.transports.tcp.TcpFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.EventContract;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.link.Link;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the raw TCP transport end to end: a plain-socket device against the transport on a
 * session table, every event asserted as the table published it. What needs the whole broker (the
 * admin API through the bridge) is in the broker module's {@code TcpBridgeIT}.
 */
@Timeout(60)
class TcpTransportIT {

  private static TcpFixture fixture;

  @BeforeAll
  static void startTransport() throws Exception {
    fixture = new TcpFixture(new JsonObject().put("handshakeTimeoutMs", 500));
  }

  @AfterAll
  static void stopTransport() throws Exception {
    fixture.close();
  }

  @Test
  void helloIsWelcomedWithGrantedHeartbeatAndAnnouncedOpened() throws Exception {
    try (TcpDevice device = fixture.device()) {
      JsonObject welcome = device.hello("welcome-1", 30);

      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(welcome.getInteger("heartbeat")).isEqualTo(30);
      assertThat(welcome.getDouble("timeout")).isEqualTo(45.0);
      JsonObject opened = fixture.await(Addresses.OPENED, "welcome-1");
      assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));
      assertThat(opened.getString("transport")).isEqualTo("tcp");
      assertThat(opened.getLong("epoch")).isEqualTo(1L);
      assertThat(opened.getString("node")).isEqualTo(fixture.tables.table.nodeId());
      assertThat(opened.getString("remote")).startsWith("127.0.0.1:");
    }
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void pingIsAnsweredAndItsStatusKeptInGetAndInTheCloseEvent() throws Exception {
    try (TcpDevice device = fixture.device()) {
      device.hello("status-1", 30);
      device.send(
          new JsonObject().put("type", "ping").put("status", new JsonObject().put("battery", 80)));
      assertThat(device.read(WAIT).getString("type")).isEqualTo("pong");

      JsonObject session = fixture.session("status-1");
      assertThat(session.getJsonObject("status").getInteger("battery")).isEqualTo(80);

      device.send(new JsonObject().put("type", "bye"));
      JsonObject closed = fixture.await(Addresses.CLOSED, "status-1");
      assertThat(closed.getString("reason")).isEqualTo("CLIENT_CLOSED");
      assertThat(closed.getJsonObject("status").getInteger("battery")).isEqualTo(80);
      assertThat(device.closedByBroker(WAIT)).isTrue();
    }
  }

  @Test
  void dataIsForwardedToDevicesInbound() throws Exception {
    try (TcpDevice device = fixture.device()) {
      JsonObject welcome = device.hello("data-1", 30);
      device.send(
          new JsonObject().put("type", "data").put("payload", new JsonObject().put("t", 21.5)));

      JsonObject inbound = fixture.await(Addresses.INBOUND, "data-1");
      assertThat(inbound.getString("sessionId")).isEqualTo(welcome.getString("session"));
      assertThat(inbound.getString("transport")).isEqualTo("tcp");
      assertThat(inbound.getJsonObject("payload").getDouble("t")).isEqualTo(21.5);
    }
  }

  /**
   * Verifies that a session silent after its hello is closed with TIMEOUT between its deadline (the
   * hello plus 1.5 heartbeats) and one tick plus the contract's slack after it, in the broker's
   * clock, and that the device hears why before the connection closes.
   */
  @Test
  @ExpectCloses(TIMEOUT)
  void silenceIsEvictedWithTimeoutAndTheDeviceIsToldWhy() throws Exception {
    try (TcpDevice device = fixture.device()) {
      // given a session with a 200 ms heartbeat, so a 300 ms timeout
      JsonObject welcome = device.hello("silent-1", 0.2);

      // when the device says nothing more
      JsonObject closed = fixture.await(Addresses.CLOSED, "silent-1");

      // then
      assertThat(closed.getString("reason")).isEqualTo("TIMEOUT");
      assertThat(closed.getString("sessionId")).isEqualTo(welcome.getString("session"));
      assertThat(closed.getLong("timeoutMs")).isEqualTo(300);
      assertThat(closed.getLong("lastSeenAt"))
          .as("nothing after the hello proved life")
          .isEqualTo(closed.getLong("connectedAt"));
      long deadline = closed.getLong("lastSeenAt") + closed.getLong("timeoutMs");
      long tickMs = fixture.tables.table.options().tickMs();
      assertThat(closed.getLong("at"))
          .isBetween(deadline, deadline + tickMs + EventContract.TIMEOUT_SLACK_MS);
      assertThat(device.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
      assertThat(device.closedByBroker(WAIT)).isTrue();
    }
  }

  @Test
  void heartbeatsKeepTheSessionPastItsTimeout() throws Exception {
    try (TcpDevice device = fixture.device()) {
      JsonObject welcome = device.hello("alive-1", 0.2);
      // heartbeats, each answered before the next, for three times the session's timeout
      long until = System.nanoTime() + (long) (3 * welcome.getDouble("timeout") * 1e9);
      while (System.nanoTime() < until) {
        device.send(new JsonObject().put("type", "ping"));
        assertThat(device.read(WAIT).getString("type")).isEqualTo("pong");
      }
      JsonObject session = fixture.session("alive-1");
      assertThat(session.getString("deviceId")).isEqualTo("alive-1");
    }
  }

  @Test
  @ExpectCloses(CONNECTION_LOST)
  void socketDropWithoutByeIsConnectionLost() throws Exception {
    TcpDevice device = fixture.device();
    device.hello("drop-1", 30);

    device.abort();

    assertThat(fixture.await(Addresses.CLOSED, "drop-1").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
  }

  /**
   * Verifies that the listener's connections run on every event loop of the Vert.x instance, in
   * turn, not all on the loop of the verticle that opened the port: given twice as many devices as
   * event loops, when each has its session, then their connections' event loops are all of them
   * (issue 17: a mass expiry closed a thousand connections one after another on one thread).
   */
  @Test
  @ExpectCloses(CONNECTION_LOST)
  void connectionsAreSpreadOverEveryEventLoop() throws Exception {
    Set<EventExecutor> loops = new HashSet<>();
    ((VertxInternal) fixture.tables.vertx).nettyEventLoopGroup().forEach(loops::add);
    List<TcpDevice> devices = new ArrayList<>();
    try {
      for (int i = 0; i < 2 * loops.size(); i++) {
        TcpDevice device = fixture.device();
        devices.add(device);
        device.hello("spread-" + i, 30);
      }

      Set<EventExecutor> used = new HashSet<>();
      for (Session session : fixture.tables.table.sessions().await(5, TimeUnit.SECONDS)) {
        if (session.deviceId().startsWith("spread-")) {
          Context context = ((Link<?>) session.connection()).context();
          used.add(((ContextInternal) context).nettyEventLoop());
        }
      }
      assertThat(used).hasSize(loops.size()).isEqualTo(loops);
    } finally {
      for (TcpDevice device : devices) {
        device.abort();
      }
      for (int i = 0; i < devices.size(); i++) {
        fixture.await(Addresses.CLOSED, "spread-" + i);
      }
    }
  }

  @Test
  @ExpectCloses(TAKEN_OVER)
  void secondHelloForTheSameDeviceTakesOverAndClosesTheFirst() throws Exception {
    try (TcpDevice first = fixture.device();
        TcpDevice second = fixture.device()) {
      JsonObject firstWelcome = first.hello("twin-1", 30);
      fixture.await(Addresses.OPENED, "twin-1");

      JsonObject secondWelcome = second.hello("twin-1", 30);

      JsonObject closed = fixture.await(Addresses.CLOSED, "twin-1");
      assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
      assertThat(closed.getString("sessionId")).isEqualTo(firstWelcome.getString("session"));
      JsonObject opened = fixture.await(Addresses.OPENED, "twin-1");
      assertThat(opened.getString("sessionId")).isEqualTo(secondWelcome.getString("session"));
      assertThat(opened.getLong("epoch")).isEqualTo(closed.getLong("epoch") + 1);
      assertThat(first.read(WAIT))
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TAKEN_OVER"));
      assertThat(first.closedByBroker(WAIT)).isTrue();
      second.send(new JsonObject().put("type", "ping"));
      assertThat(second.read(WAIT).getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void malformedJsonIsBadFrameAndRejected() throws Exception {
    assertRejected("{not json\n", "bad_frame");
  }

  @Test
  void frameBeforeHelloIsProtocolErrorAndRejected() throws Exception {
    assertRejected("{\"type\":\"ping\"}\n", "protocol_error");
  }

  @Test
  void helloWithoutDeviceIsBadHelloAndRejected() throws Exception {
    assertRejected("{\"type\":\"hello\",\"heartbeat\":30}\n", "bad_hello");
  }

  @Test
  void lineOverTheMaximumIsFrameTooLarge() throws Exception {
    assertRejected(
        "{\"type\":\"hello\",\"device\":\"" + "x".repeat(9000) + "\"}\n", "frame_too_large");
  }

  @Test
  void unterminatedLineGrowingOverTheMaximumIsFrameTooLarge() throws Exception {
    assertRejected("{\"type\":\"hello\",\"device\":\"" + "x".repeat(20_000), "frame_too_large");
  }

  @Test
  void noHelloWithinTheHandshakeDeadlineIsHandshakeTimeout() throws Exception {
    assertRejected("", "handshake_timeout");
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void unknownFrameAfterTheWelcomeIsProtocolErrorAndClosesTheSession() throws Exception {
    assertErrorAfterWelcome("unknown-1", "{\"type\":\"launch\"}\n", "protocol_error");
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void secondHelloOnAnOpenSessionIsProtocolErrorAndClosesTheSession() throws Exception {
    assertErrorAfterWelcome(
        "again-1",
        "{\"type\":\"hello\",\"device\":\"again-1\",\"heartbeat\":30}\n",
        "protocol_error");
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void malformedJsonAfterTheWelcomeIsBadFrameAndClosesTheSession() throws Exception {
    assertErrorAfterWelcome("garbled-1", "{not json\n", "bad_frame");
  }

  @Test
  @ExpectCloses(PROTOCOL_ERROR)
  void lineOverTheMaximumAfterTheWelcomeIsFrameTooLargeAndClosesTheSession() throws Exception {
    assertErrorAfterWelcome(
        "big-1",
        "{\"type\":\"data\",\"payload\":\"" + "x".repeat(9000) + "\"}\n",
        "frame_too_large");
  }

  /**
   * Verifies what docs/cluster.md promises a device that says hello to a node cut off from its
   * quorum: the node refuses the new session as any failed open (an {@code error} frame, then the
   * connection closes, and a {@code sessions.rejected} event), and leaves its existing sessions
   * alone.
   */
  @Test
  void fencedNodeRefusesAHelloWithUnavailableAndKeepsItsOpenSessions() throws Exception {
    try (TcpDevice before = fixture.device();
        TcpDevice refused = fixture.device()) {
      // given a session opened before the node is fenced
      JsonObject welcome = before.hello("fence-kept-1", 30);
      fixture.tables.table.fence().raise();
      try {
        // when another device says hello
        JsonObject error = refused.hello("fence-refused-1", 30);

        // then it is refused, told why, hung up on, and the refusal is announced with its device
        // and address
        assertThat(error.getString("type")).isEqualTo("error");
        assertThat(error.getString("code")).isEqualTo("unavailable");
        assertThat(error.getString("message")).isNotBlank();
        assertThat(refused.nextLine(WAIT)).as("the end of the stream after the error").isNull();
        JsonObject rejected = fixture.awaitRejection(refused);
        assertThat(rejected.getString("code")).isEqualTo("unavailable");
        assertThat(rejected.getString("deviceId")).isEqualTo("fence-refused-1");
        assertThat(rejected.getString("transport")).isEqualTo("tcp");
        assertThat(fixture.session("fence-refused-1"))
            .as("no session for the refused device")
            .isNull();
        // and the session opened before still lives
        before.send(new JsonObject().put("type", "ping"));
        assertThat(before.read(WAIT).getString("type")).isEqualTo("pong");
        JsonObject kept = fixture.session("fence-kept-1");
        assertThat(kept.getString("sessionId")).isEqualTo(welcome.getString("session"));
      } finally {
        fixture.tables.table.fence().lower();
      }
    }
  }

  /**
   * Sends {@code input} on a fresh connection and checks that the broker answers with an error
   * frame of {@code code}, closes the connection, and announces the rejection of this very
   * connection (matched by its address, so that another test's rejection with the same code cannot
   * stand in for it).
   */
  private static void assertRejected(String input, String code) throws Exception {
    try (TcpDevice device = fixture.device()) {
      device.sendRaw(input);

      JsonObject error = device.read(WAIT);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo(code);
      assertThat(device.closedByBroker(WAIT)).isTrue();
      JsonObject rejected = fixture.awaitRejection(device);
      assertThat(rejected.getString("code")).isEqualTo(code);
      assertThat(rejected.getString("transport")).isEqualTo("tcp");
      assertThat(rejected.getString("node")).isEqualTo(fixture.tables.table.nodeId());
      assertThat(rejected.getString("message")).isEqualTo(error.getString("message"));
    }
  }

  /**
   * Opens a session, sends {@code input} on it, and checks the documented answer to bad input after
   * the welcome: an error frame of {@code code}, nothing after it but the end of the stream, and
   * the session's close with PROTOCOL_ERROR.
   */
  private static void assertErrorAfterWelcome(String deviceId, String input, String code)
      throws Exception {
    try (TcpDevice device = fixture.device()) {
      JsonObject welcome = device.hello(deviceId, 30);
      assertThat(welcome.getString("type")).isEqualTo("welcome");

      device.sendRaw(input);

      JsonObject error = device.read(WAIT);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo(code);
      assertThat(error.getString("message")).isNotBlank();
      assertThat(device.nextLine(WAIT)).as("what follows the error frame").isNull();
      JsonObject closed = fixture.await(Addresses.CLOSED, deviceId);
      assertThat(closed.getString("reason")).isEqualTo("PROTOCOL_ERROR");
      assertThat(closed.getString("sessionId")).isEqualTo(welcome.getString("session"));
    }
  }
}

package io.sessionbroker.transports.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A raw TCP connection's liveness and close paths against a standalone table, over a plain socket: which frames
 * prove life, and what each way of ending a session sends on the wire and announces. (The whole broker's TCP
 * listener is tested in the broker module; these run in this module so that mutation testing of
 * {@link TcpConnection} has tests to run.)
 */
@Timeout(30)
class TcpConnectionIT {

  /** A 1 s heartbeat: a 1.5 s timeout, comfortably longer than the 200 ms between a test device's frames. */
  private static final double HEARTBEAT_S = 1;
  private static final long PACE_MS = 200;
  /** Frames over two timeouts: without their touches the session would have expired twice over. */
  private static final int FRAMES_OVER_TWO_TIMEOUTS = 15;

  private TableFixture tables;
  private TcpTransport tcp;

  @BeforeEach
  void start() throws Exception {
    tables = new TableFixture();
    TcpOptions options = TcpOptions.fromJson(new JsonObject().put("port", 0).put("handshakeTimeoutMs", 300));
    tcp = new TcpTransport(tables.table, options, DeviceAuth.NONE);
    tables.vertx.deployVerticle(tcp).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    tables.close();
  }

  /** Verifies that pings without a status are answered with pongs and keep a session open past its timeout. */
  @Test
  void pingsWithoutStatusKeepTheSessionOpenPastItsTimeout() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-ping", tcp.port())) {
      assertThat(device.hello(HEARTBEAT_S).getString("type")).isEqualTo("welcome");

      // when
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        device.send(new JsonObject().put("type", "ping"));
        assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "pong"));
        Thread.sleep(PACE_MS); // the device's own heartbeat
      }

      // then
      assertThat(tables.table.get("tcp-pit-ping").await(5, TimeUnit.SECONDS)).isNotNull();
      tables.settle();
      assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
    }
  }

  /** Verifies that pings with a status keep the session open and the last status is kept for get. */
  @Test
  void pingsWithStatusKeepTheSessionOpenAndTheStatusIsKept() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-status", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        device.send(new JsonObject().put("type", "ping").put("status", new JsonObject().put("n", i)));
        assertThat(device.receive().getString("type")).isEqualTo("pong");
        Thread.sleep(PACE_MS);
      }

      // then
      JsonObject session = tables.table.get("tcp-pit-status").await(5, TimeUnit.SECONDS);
      assertThat(session.getJsonObject("status"))
          .isEqualTo(new JsonObject().put("n", FRAMES_OVER_TWO_TIMEOUTS - 1));
    }
  }

  /** Verifies that data frames alone keep a session open, and each is published on devices.inbound. */
  @Test
  void dataAloneKeepsTheSessionOpenAndIsPublished() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-data", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        device.send(new JsonObject().put("type", "data").put("payload", new JsonObject().put("n", i)));
        Thread.sleep(PACE_MS);
      }

      // then: a ping as a barrier, answered only after every data frame before it
      device.send(new JsonObject().put("type", "ping"));
      assertThat(device.receive().getString("type")).isEqualTo("pong");
      for (int i = 0; i < FRAMES_OVER_TWO_TIMEOUTS; i++) {
        JsonObject inbound = tables.await(Addresses.INBOUND, "tcp-pit-data");
        assertThat(inbound.getValue("payload")).isEqualTo(new JsonObject().put("n", i));
      }
      tables.settle();
      assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
    }
  }

  /** Verifies that a silent session ends with TIMEOUT: the device gets a bye saying so, then the socket closes. */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsTheSessionWithTimeoutAndAByeBeforeTheSocketCloses() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-silent", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when: nothing more is sent

      // then
      assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.CLOSED, "tcp-pit-silent").getString("reason")).isEqualTo("TIMEOUT");
    }
  }

  /** Verifies that a bye ends the session with CLIENT_CLOSED and the broker closes the socket without a bye. */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void byeEndsTheSessionAsClientClosedWithoutAByeBack() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-bye", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      device.send(new JsonObject().put("type", "bye"));

      // then
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.CLOSED, "tcp-pit-bye").getString("reason")).isEqualTo("CLIENT_CLOSED");
    }
  }

  /** Verifies that a kick sends a bye with reason KICKED, then closes the socket. */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickSaysByeKickedThenClosesTheSocket() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-kick", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      assertThat(tables.table.kick("tcp-pit-kick").await(5, TimeUnit.SECONDS)).isTrue();

      // then
      assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.CLOSED, "tcp-pit-kick").getString("reason")).isEqualTo("KICKED");
    }
  }

  /** Verifies that a socket reset without a bye ends the session with CONNECTION_LOST. */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aDroppedSocketEndsTheSessionAsConnectionLost() throws Exception {
    // given
    TcpLine device = new TcpLine("tcp-pit-drop", tcp.port());
    device.hello(HEARTBEAT_S);

    // when
    device.drop();

    // then
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-drop").getString("reason")).isEqualTo("CONNECTION_LOST");
  }

  /** Verifies that a line that is not JSON after the welcome is answered with bad_frame and ends as PROTOCOL_ERROR. */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aBadFrameAfterTheWelcomeIsAnErrorAndAProtocolErrorClose() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-garbage", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      device.sendRaw("not json\n");

      // then
      assertThat(device.receive().getString("code")).isEqualTo("bad_frame");
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.CLOSED, "tcp-pit-garbage").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  /** Verifies that a second hello on an open session is a protocol_error that ends it as PROTOCOL_ERROR. */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondHelloIsAProtocolErrorClose() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-hello2", tcp.port())) {
      device.hello(HEARTBEAT_S);

      // when
      JsonObject answer = device.hello(HEARTBEAT_S);

      // then
      assertThat(answer.getString("code")).isEqualTo("protocol_error");
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.CLOSED, "tcp-pit-hello2").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  /** Verifies that a connection without a hello is rejected with handshake_timeout and closed, opening nothing. */
  @Test
  void noHelloWithinTheDeadlineIsAHandshakeTimeoutRejection() throws Exception {
    // given
    try (TcpLine device = new TcpLine("tcp-pit-mute", tcp.port())) {

      // when: nothing is sent

      // then
      assertThat(device.receive().getString("code")).isEqualTo("handshake_timeout");
      device.awaitClosedByBroker();
      assertThat(tables.await(Addresses.REJECTED, e -> "tcp".equals(e.getString("transport")))
          .getString("code")).isEqualTo("handshake_timeout");
      tables.settle();
      assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
    }
  }
}

package io.sessionbroker.transports.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.ClassHistogram;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A raw TCP connection's liveness and close paths against a standalone table, over a plain socket:
 * which frames prove life (they move the session's {@code lastSeenAt}; eviction itself is the
 * table's, tested on a fake clock in the cluster module), and what each way of ending a session
 * sends on the wire and announces. (The whole broker's TCP listener is tested in the broker module;
 * these run in this module so that mutation testing of {@link TcpConnection} has tests to run.)
 */
@Timeout(30)
class TcpConnectionIT {

  /** A 1 s heartbeat: a 1.5 s timeout, for the one test that waits for it. */
  private static final double HEARTBEAT_S = 1;

  /**
   * How long a test device waits before its next frame, so that the broker's clock has moved on.
   */
  private final java.util.List<TcpLine> lines = new java.util.ArrayList<>();

  private TableFixture tables;
  private TcpTransport tcp;

  @BeforeEach
  void start() throws Exception {
    tables = new TableFixture();
    tcp = deploy(TcpOptions.DEFAULT_HANDSHAKE_TIMEOUT_MS);
  }

  /**
   * Closes the devices' sockets only after the table has shut down: a socket closed in a test's
   * body would end its session there, with a reason the test did not ask about.
   */
  @AfterEach
  void stop() throws Exception {
    try {
      tables.close();
    } finally {
      for (TcpLine line : lines) {
        line.close();
      }
    }
  }

  private TcpTransport deploy(int handshakeTimeoutMs) throws Exception {
    TcpOptions options =
        TcpOptions.fromJson(
            new JsonObject().put("port", 0).put("handshakeTimeoutMs", handshakeTimeoutMs));
    TcpTransport transport = new TcpTransport(tables.table, options, DeviceAuth.NONE);
    tables.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
    return transport;
  }

  /** A device on a socket of its own, closed after the table. */
  private TcpLine line(String deviceId) throws java.io.IOException {
    return line(deviceId, tcp);
  }

  private TcpLine line(String deviceId, TcpTransport transport) throws java.io.IOException {
    TcpLine line = new TcpLine(deviceId, transport.port());
    lines.add(line);
    return line;
  }

  private long lastSeenAt(String deviceId) throws Exception {
    return tables.table.admin().get(deviceId).await(5, TimeUnit.SECONDS).getLong("lastSeenAt");
  }

  /**
   * Verifies that open sessions keep no record parser each (issue 17): Vert.x's {@code
   * RecordParser} held 96 bytes per connection for its whole life; {@link LineSplitter} holds no
   * buffer between lines. Counted in this JVM's class histogram with 50 sessions open.
   */
  @Test
  void openSessionsKeepNoRecordParser() throws Exception {
    // given 50 open sessions, each having sent a ping and read its pong
    int sessions = 50;
    for (int i = 0; i < sessions; i++) {
      TcpLine device = line("tcp-pit-footprint-" + i);
      device.open(60);
      device.sendRaw(new JsonObject().put("type", "ping").encode() + "\n");
      assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "pong"));
    }

    // then no connection holds a record parser; every one has its splitter
    assertThat(ClassHistogram.instances("io.vertx.core.parsetools.impl.RecordParserImpl"))
        .isLessThan(sessions);
    assertThat(ClassHistogram.instances(LineSplitter.class.getName()))
        .isGreaterThanOrEqualTo(sessions);
  }

  /**
   * Verifies that a ping without a status is proof of life: lastSeenAt moves to it, and it gets a
   * pong.
   */
  @Test
  void aPingWithoutStatusMovesLastSeenAtAndIsAnsweredWithAPong() throws Exception {
    // given
    TcpLine device = line("tcp-pit-ping");
    device.open(HEARTBEAT_S);
    long before = lastSeenAt("tcp-pit-ping");
    tables.clockPast(before); // the device's next proof of life comes later

    // when: an empty CRLF line (ignored), then a ping ending in CRLF
    device.sendRaw("\r\n" + new JsonObject().put("type", "ping").encode() + "\r\n");

    // then: the table is touched before the pong is written
    assertThat(device.receive()).isEqualTo(new JsonObject().put("type", "pong"));
    assertThat(lastSeenAt("tcp-pit-ping")).isGreaterThan(before);
  }

  /** Verifies that a ping with a status is proof of life, and the status is kept for get. */
  @Test
  void aPingWithStatusMovesLastSeenAtAndKeepsTheStatus() throws Exception {
    // given
    TcpLine device = line("tcp-pit-status");
    device.open(HEARTBEAT_S);
    long before = lastSeenAt("tcp-pit-status");
    tables.clockPast(before); // the device's next proof of life comes later

    // when
    device.send(
        new JsonObject().put("type", "ping").put("status", new JsonObject().put("battery", 80)));

    // then
    assertThat(device.receive().getString("type")).isEqualTo("pong");
    JsonObject session = tables.table.admin().get("tcp-pit-status").await(5, TimeUnit.SECONDS);
    assertThat(session.getLong("lastSeenAt")).isGreaterThan(before);
    assertThat(session.getJsonObject("status")).isEqualTo(new JsonObject().put("battery", 80));
  }

  /**
   * Verifies that a data frame is proof of life and is published on devices.inbound, unanswered.
   */
  @Test
  void dataMovesLastSeenAtAndIsPublished() throws Exception {
    // given
    TcpLine device = line("tcp-pit-data");
    device.open(HEARTBEAT_S);
    long before = lastSeenAt("tcp-pit-data");
    tables.clockPast(before); // the device's next proof of life comes later

    // when
    device.send(new JsonObject().put("type", "data").put("payload", new JsonObject().put("n", 1)));

    // then: the table is touched before the inbound event is published
    JsonObject inbound = tables.await(Addresses.INBOUND, "tcp-pit-data");
    assertThat(inbound.getValue("payload")).isEqualTo(new JsonObject().put("n", 1));
    assertThat(lastSeenAt("tcp-pit-data")).isGreaterThan(before);
    tables.settle();
    assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
  }

  /**
   * Verifies that a silent session ends with TIMEOUT: the device gets a bye saying so, then the
   * socket closes.
   */
  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsTheSessionWithTimeoutAndAByeBeforeTheSocketCloses() throws Exception {
    // given
    TcpLine device = line("tcp-pit-silent");
    device.open(HEARTBEAT_S);

    // when: nothing more is sent

    // then
    assertThat(device.receive())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-silent").getString("reason"))
        .isEqualTo("TIMEOUT");
  }

  /**
   * Verifies that a bye ends the session with CLIENT_CLOSED and the broker closes the socket
   * without a bye.
   */
  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void byeEndsTheSessionAsClientClosedWithoutAByeBack() throws Exception {
    // given
    TcpLine device = line("tcp-pit-bye");
    device.open(HEARTBEAT_S);

    // when
    device.send(new JsonObject().put("type", "bye"));

    // then
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-bye").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  /** Verifies that a kick sends a bye with reason KICKED, then closes the socket. */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickSaysByeKickedThenClosesTheSocket() throws Exception {
    // given
    TcpLine device = line("tcp-pit-kick");
    device.open(HEARTBEAT_S);

    // when
    assertThat(tables.table.admin().kick("tcp-pit-kick").await(5, TimeUnit.SECONDS)).isTrue();

    // then
    assertThat(device.receive())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-kick").getString("reason"))
        .isEqualTo("KICKED");
  }

  /**
   * Verifies that the bye written from the one buffer each reason has ({@link
   * TcpConnection#byeLine}) reaches every device whole and once, then its socket closes: the shared
   * buffer is not used up or released by a write (issue 17).
   */
  @Test
  @ExpectCloses(CloseReason.KICKED)
  void everyDeviceEndedForOneReasonGetsTheWholeByeOnceThenTheClose() throws Exception {
    // given five open sessions
    java.util.List<TcpLine> devices = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      TcpLine device = line("tcp-pit-byes-" + i);
      device.open(HEARTBEAT_S);
      devices.add(device);
    }

    // when each is kicked
    for (int i = 0; i < 5; i++) {
      assertThat(tables.table.admin().kick("tcp-pit-byes-" + i).await(5, TimeUnit.SECONDS))
          .isTrue();
    }

    // then each reads the same bye, then the end of the stream
    for (TcpLine device : devices) {
      assertThat(device.receive())
          .isEqualTo(new JsonObject().put("type", "bye").put("reason", "KICKED"));
      device.awaitClosedByBroker();
    }
  }

  /**
   * Verifies that a reason's bye line is encoded once (issue 17): the same buffer for every close,
   * holding the {@code bye} frame and its newline; reasons the device or the network caused have
   * none.
   */
  @Test
  void aReasonsByeLineIsOneBufferWithTheFrameAndItsNewline() {
    io.vertx.core.buffer.Buffer timeout = TcpConnection.byeLine(CloseReason.TIMEOUT);

    assertThat(TcpConnection.byeLine(CloseReason.TIMEOUT)).isSameAs(timeout);
    assertThat(timeout.toString())
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT").encode() + "\n");
    assertThat(TcpConnection.byeLine(CloseReason.CLIENT_CLOSED)).isNull();
    assertThat(TcpConnection.byeLine(CloseReason.CONNECTION_LOST)).isNull();
  }

  /** Verifies that a socket reset without a bye ends the session with CONNECTION_LOST. */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aDroppedSocketEndsTheSessionAsConnectionLost() throws Exception {
    // given
    TcpLine device = line("tcp-pit-drop");
    device.open(HEARTBEAT_S);

    // when
    device.drop();

    // then: and the listener's connection slot is free again (no event says so: polled)
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-drop").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tcp.connections() == 0);
  }

  /**
   * Verifies that a line that is not JSON after the welcome is answered with bad_frame and ends as
   * PROTOCOL_ERROR.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aBadFrameAfterTheWelcomeIsAnErrorAndAProtocolErrorClose() throws Exception {
    // given
    TcpLine device = line("tcp-pit-garbage");
    device.open(HEARTBEAT_S);

    // when
    device.sendRaw("not json\n");

    // then
    assertThat(device.receive().getString("code")).isEqualTo("bad_frame");
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-garbage").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a second hello on an open session is a protocol_error that ends it as
   * PROTOCOL_ERROR.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aSecondHelloIsAProtocolErrorClose() throws Exception {
    // given
    TcpLine device = line("tcp-pit-hello2");
    device.open(HEARTBEAT_S);

    // when
    JsonObject answer = device.hello(HEARTBEAT_S);

    // then
    assertThat(answer.getString("code")).isEqualTo("protocol_error");
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-hello2").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a connection without a hello is rejected with handshake_timeout and closed,
   * opening nothing.
   */
  @Test
  void noHelloWithinTheDeadlineIsAHandshakeTimeoutRejection() throws Exception {
    // given
    TcpTransport quick = deploy(300);
    TcpLine device = line("tcp-pit-mute", quick);

    // when: nothing is sent

    // then
    assertThat(device.receive().getString("code")).isEqualTo("handshake_timeout");
    device.awaitClosedByBroker();
    assertThat(
            tables
                .await(Addresses.REJECTED, e -> "tcp".equals(e.getString("transport")))
                .getString("code"))
        .isEqualTo("handshake_timeout");
    tables.settle();
    assertThat(tables.pending()).noneMatch(e -> e.address().equals(Addresses.OPENED));
  }

  /** Verifies that a frame of exactly the maximum length is accepted. */
  @Test
  void aFrameOfExactlyTheMaximumLengthIsAccepted() throws Exception {
    // given
    TcpLine device = line("tcp-pit-maxline");
    device.open(HEARTBEAT_S);
    JsonObject data = new JsonObject().put("type", "data").put("payload", "");
    int padding = TcpOptions.DEFAULT_MAX_FRAME_BYTES - data.encode().length();

    // when
    device.send(data.put("payload", "x".repeat(padding)));

    // then
    assertThat(tables.await(Addresses.INBOUND, "tcp-pit-maxline").getString("payload"))
        .hasSize(padding);
  }

  /**
   * Verifies that a line growing past the maximum is frame_too_large and ends the session as
   * PROTOCOL_ERROR.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aLineLongerThanTheMaximumIsFrameTooLargeAndAProtocolErrorClose() throws Exception {
    // given
    TcpLine device = line("tcp-pit-longline");
    device.open(HEARTBEAT_S);

    // when: more than the maximum, no newline yet
    device.sendRaw(
        "{\"type\":\"data\",\"payload\":\"" + "x".repeat(TcpOptions.DEFAULT_MAX_FRAME_BYTES));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("frame_too_large");
    assertThat(tables.await(Addresses.CLOSED, "tcp-pit-longline").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /**
   * Verifies that a hello the table cannot open (a fenced node) is refused with unavailable and
   * opens nothing.
   */
  @Test
  void aHelloTheTableCannotOpenIsRefusedWithUnavailable() throws Exception {
    // given
    tables.table.fence().raise();
    TcpLine device = line("tcp-pit-fenced");

    // when
    JsonObject answer = device.hello(HEARTBEAT_S);

    // then
    assertThat(answer.getString("code")).isEqualTo("unavailable");
    device.awaitClosedByBroker();
    assertThat(
            tables
                .await(Addresses.REJECTED, e -> "tcp".equals(e.getString("transport")))
                .getString("code"))
        .isEqualTo("unavailable");
  }
}

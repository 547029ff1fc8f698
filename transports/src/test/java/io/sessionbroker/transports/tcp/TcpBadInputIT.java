package io.sessionbroker.transports.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies what raw TCP answers input that is not a well-formed line of the device protocol
 * (docs/protocol.md, "Errors" and "What bad input gets"), over a plain socket with raw bytes: the
 * documented {@code error} frame, then the close — a {@code sessions.rejected} event before the
 * welcome, a {@code PROTOCOL_ERROR} close after it — and that valid input at the limits is not
 * refused.
 */
@Timeout(30)
class TcpBadInputIT {

  private static final int MAX = TcpOptions.DEFAULT_MAX_FRAME_BYTES;

  private final List<TcpLine> lines = new ArrayList<>();
  private TableFixture tables;
  private TcpTransport tcp;

  @BeforeEach
  void start() throws Exception {
    tables = new TableFixture();
    tcp = deploy(TcpOptions.DEFAULT_HANDSHAKE_TIMEOUT_MS);
  }

  /** Closes the devices' sockets after the table, so that no session ends in a test's body. */
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

  /**
   * Verifies that a line that is not UTF-8 (RFC 3629 §3: a lone continuation byte, an overlong
   * encoding and an encoded surrogate are all invalid, "implementations ... MUST protect against
   * decoding invalid sequences") is bad_frame and ends the session as PROTOCOL_ERROR.
   */
  @ParameterizedTest
  @ValueSource(strings = {"\\x80", "\\xc0\\xaf", "\\xed\\xa0\\x80", "\\xf5\\x80\\x80\\x80"})
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aLineThatIsNotUtf8IsBadFrameAndAProtocolErrorClose(String invalid) throws Exception {
    // given
    String deviceId = "tcp-utf8-" + invalid.replace("\\x", "");
    TcpLine device = line(deviceId);
    device.open(1);

    // when
    device.sendBytes(bytes("{\"type\":\"data\",\"payload\":\"a" + invalid + "b\"}\n"));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("bad_frame");
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, deviceId).getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
  }

  /** Verifies that a hello that is not UTF-8 is bad_frame and rejected, opening nothing. */
  @Test
  void aHelloThatIsNotUtf8IsBadFrameAndRejected() throws Exception {
    // given
    TcpLine device = line("tcp-utf8-hello");

    // when: the device id has an invalid byte
    device.sendBytes(bytes("{\"type\":\"hello\",\"device\":\"tcp-utf8-\\xff\"}\n"));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("bad_frame");
    device.awaitClosedByBroker();
    assertRejected("bad_frame");
  }

  /**
   * Verifies that JSON nested deeper than the parser's bound (1,000 levels) is bad_frame and ends
   * the session, and that the broker goes on serving.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void deeplyNestedJsonIsBadFrameAndAProtocolErrorClose() throws Exception {
    // given
    TcpLine device = line("tcp-deep");
    device.open(1);
    int depth = 3_000; // 6,000 bytes: within the line limit

    // when
    device.sendRaw(
        "{\"type\":\"data\",\"payload\":" + "[".repeat(depth) + "]".repeat(depth) + "}\n");

    // then
    assertThat(device.receive().getString("code")).isEqualTo("bad_frame");
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-deep").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
    TcpLine next = line("tcp-deep-next");
    assertThat(next.open(1).getString("type")).isEqualTo("welcome");
  }

  /**
   * Verifies that a heartbeat out of the number range (1e400, a 40-digit integer) is bad_hello, and
   * a number longer than the parser's bound (1,000 digits) is bad_frame; both are rejected.
   */
  @ParameterizedTest
  @ValueSource(strings = {"1e400", "1234567890123456789012345678901234567890", "-1e400", "LONG"})
  void aHeartbeatOfAHugeNumberIsRejected(String number) throws Exception {
    // given
    String digits = number.equals("LONG") ? "9".repeat(1_001) : number;
    TcpLine device = line("tcp-huge-" + number);

    // when
    device.sendRaw("{\"type\":\"hello\",\"device\":\"tcp-huge\",\"heartbeat\":" + digits + "}\n");

    // then
    String code = number.equals("LONG") ? "bad_frame" : "bad_hello";
    assertThat(device.receive().getString("code")).isEqualTo(code);
    device.awaitClosedByBroker();
    assertRejected(code);
  }

  /**
   * Verifies that a line of exactly the maximum that has not ended yet is waited on (it may still
   * end), and a connection that sends nothing more before the handshake deadline is
   * handshake_timeout.
   */
  @Test
  void aLineOfTheMaximumWithoutItsEndIsWaitedOnUntilTheHandshakeDeadline() throws Exception {
    // given
    TcpTransport quick = deploy(500);
    TcpLine device = line("tcp-open-line", quick);

    // when
    device.sendRaw("x".repeat(MAX));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("handshake_timeout");
    device.awaitClosedByBroker();
    assertRejected("handshake_timeout");
  }

  /** Verifies that a line that grows past the maximum before hello is frame_too_large at once. */
  @Test
  void aLineGrowingPastTheMaximumBeforeHelloIsFrameTooLarge() throws Exception {
    // given
    TcpLine device = line("tcp-long-hello");

    // when: no newline
    device.sendRaw("{\"type\":\"hello\",\"device\":\"" + "x".repeat(MAX));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("frame_too_large");
    device.awaitClosedByBroker();
    assertRejected("frame_too_large");
  }

  /**
   * Verifies that a line of exactly the maximum ending in CRLF is accepted when its LF comes in a
   * later read (the CR is not part of the line: docs/protocol.md, "\r\n accepted").
   */
  @Test
  void aLineOfExactlyTheMaximumEndingInCrLfSplitBeforeTheLfIsAccepted() throws Exception {
    // given
    TcpLine device = line("tcp-crlf-max");
    device.open(1);
    JsonObject data = new JsonObject().put("type", "data").put("payload", "");
    int padding = MAX - data.encode().length();

    // when: the line and its CR; once the broker has read them (its socket's receive queue is
    // empty), the LF, which so comes in a later read
    device.sendRaw(data.put("payload", "x".repeat(padding)).encode() + "\r");
    awaitReadByBroker(tcp.port());
    device.sendRaw("\n");

    // then
    assertThat(tables.await(Addresses.INBOUND, "tcp-crlf-max").getString("payload"))
        .hasSize(padding);
  }

  /**
   * Verifies that lines a device sends right behind its hello, more of them than one line's
   * maximum, wait for the session and are all read (docs/protocol.md: a device need not wait for
   * the welcome).
   */
  @Test
  void linesSentRightBehindTheHelloAreAllReadOnceTheSessionIsOpen() throws Exception {
    // given
    TcpLine device = line("tcp-pipelined");
    StringBuilder burst =
        new StringBuilder(
            new JsonObject()
                    .put("type", "hello")
                    .put("device", "tcp-pipelined")
                    .put("heartbeat", 1)
                    .encode()
                + "\n");
    int count = 3 * MAX / 500;
    for (int i = 0; i < count; i++) {
      burst.append(
          new JsonObject()
                  .put("type", "data")
                  .put("payload", new JsonObject().put("n", i).put("pad", "x".repeat(450)))
                  .encode()
              + "\n");
    }

    // when: all in one write
    device.sendRaw(burst.toString());

    // then
    assertThat(device.receive().getString("type")).isEqualTo("welcome");
    for (int i = 0; i < count; i++) {
      assertThat(
              tables
                  .await(Addresses.INBOUND, "tcp-pipelined")
                  .getJsonObject("payload")
                  .getInteger("n"))
          .isEqualTo(i);
    }
  }

  /**
   * Verifies that a hello for another device on an open session is protocol_error: the open session
   * ends as PROTOCOL_ERROR and the other device gets no session.
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aHelloForAnotherDeviceOnAnOpenSessionIsAProtocolErrorClose() throws Exception {
    // given
    TcpLine device = line("tcp-hello-a");
    device.open(1);

    // when
    device.send(new JsonObject().put("type", "hello").put("device", "tcp-hello-b"));

    // then
    assertThat(device.receive().getString("code")).isEqualTo("protocol_error");
    device.awaitClosedByBroker();
    assertThat(tables.await(Addresses.CLOSED, "tcp-hello-a").getString("reason"))
        .isEqualTo("PROTOCOL_ERROR");
    tables.settle();
    assertThat(tables.pending())
        .noneMatch(e -> "tcp-hello-b".equals(e.body().getString("deviceId")));
    assertThat(tables.table.admin().get("tcp-hello-b").await(5, TimeUnit.SECONDS)).isNull();
  }

  /**
   * Waits until the broker's end of every connection to {@code port} has nothing left unread in its
   * kernel receive queue ({@code ss}, iproute2, which .ci/run installs).
   */
  private static void awaitReadByBroker(int port) {
    org.awaitility.Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .pollInterval(java.time.Duration.ofMillis(5))
        .until(() -> receiveQueues(port).stream().allMatch(bytes -> bytes == 0));
  }

  /** The Recv-Q of each established connection whose local port is {@code port}; never empty. */
  private static List<Long> receiveQueues(int port) throws IOException, InterruptedException {
    Process ss =
        new ProcessBuilder("ss", "-Htn", "state", "established", "( sport = :" + port + " )")
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ss.waitFor();
    List<Long> queues = new ArrayList<>();
    for (String row : out.strip().split("\n")) {
      if (!row.isBlank()) {
        queues.add(Long.parseLong(row.strip().split("\\s+")[0]));
      }
    }
    if (queues.isEmpty()) {
      throw new IllegalStateException("no connection to port " + port + " in ss: " + out);
    }
    return queues;
  }

  private TcpTransport deploy(int handshakeTimeoutMs) throws Exception {
    TcpOptions options =
        TcpOptions.fromJson(
            new JsonObject().put("port", 0).put("handshakeTimeoutMs", handshakeTimeoutMs));
    TcpTransport transport = new TcpTransport(tables.table, options, DeviceAuth.NONE);
    tables.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
    return transport;
  }

  private TcpLine line(String deviceId) throws IOException {
    return line(deviceId, tcp);
  }

  private TcpLine line(String deviceId, TcpTransport transport) throws IOException {
    TcpLine line = new TcpLine(deviceId, transport.port());
    lines.add(line);
    return line;
  }

  private void assertRejected(String code) throws InterruptedException {
    assertThat(
            tables
                .await(Addresses.REJECTED, e -> "tcp".equals(e.getString("transport")))
                .getString("code"))
        .isEqualTo(code);
  }

  /** {@code text} as UTF-8, with {@code \xNN} escapes written as the raw byte NN. */
  private static byte[] bytes(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      if (text.startsWith("\\x", i)) {
        out.write(Integer.parseInt(text.substring(i + 2, i + 4), 16));
        i += 3;
      } else {
        out.writeBytes(String.valueOf(text.charAt(i)).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }
}

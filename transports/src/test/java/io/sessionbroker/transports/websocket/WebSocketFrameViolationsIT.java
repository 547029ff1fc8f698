package io.sessionbroker.transports.websocket;

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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Verifies that a frame RFC 6455 forbids fails the connection with the close code the RFC names —
 * 1002 for a protocol violation, 1007 for text that is not UTF-8 (§7.1.7, §7.4.1, §8.1) — before
 * and after the device's hello alike, without an {@code error} frame first, and that the broker
 * then closes the TCP connection. Before the hello the back end gets a {@code bad_frame} rejection,
 * after it a {@code PROTOCOL_ERROR} close. The frames are written byte by byte on a plain socket
 * ({@link RawWs}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketFrameViolationsIT {

  private static final byte[] PING = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);

  /** What a test writes after the upgrade (and the hello, if any). */
  @FunctionalInterface
  interface Violation {
    void send(RawWs ws) throws IOException;
  }

  private TableFixture fixture;
  private WebSocketTransport transport;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    transport =
        new WebSocketTransport(fixture.table, WsOptions.defaults().withPort(0), DeviceAuth.NONE);
    fixture.vertx.deployVerticle(transport).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  /**
   * The violations, each with the statement of RFC 6455 that it breaks and the code that statement
   * calls for.
   */
  static List<Arguments> violations() {
    return List.of(
        // §5.1: "The server MUST close the connection upon receiving a frame that is not masked.
        // In this case, a server MAY send a Close frame with a status code of 1002"
        violation("unmasked-text", 1002, ws -> ws.send(0x81, false, PING)),
        // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated ... If a nonzero value is
        // received ..., the receiving endpoint MUST _Fail the WebSocket Connection_"
        violation("rsv1", 1002, ws -> ws.send(0xC1, true, PING)),
        violation("rsv3", 1002, ws -> ws.send(0x91, true, PING)),
        // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
        // Connection_"
        violation("reserved-data-opcode", 1002, ws -> ws.send(0x83, true, PING)),
        violation("reserved-control-opcode", 1002, ws -> ws.send(0x8B, true, new byte[0])),
        // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT
        // be fragmented"
        violation("fragmented-ping", 1002, ws -> ws.send(0x09, true, new byte[0])),
        violation("ping-over-125-bytes", 1002, ws -> ws.send(0x89, true, new byte[126])),
        // §5.4: a fragmented message starts with a frame whose opcode is not 0, and "the
        // fragments of one message MUST NOT be interleaved between the fragments of another"
        violation("continuation-without-message", 1002, ws -> ws.send(0x80, true, PING)),
        violation(
            "text-inside-fragmented-message",
            1002,
            ws -> {
              ws.send(0x01, true, "{\"type\":".getBytes(StandardCharsets.UTF_8));
              ws.send(0x81, true, PING);
            }),
        // §5.2: "the minimal number of bytes MUST be used to encode the length"
        violation(
            "length-not-minimal",
            1002,
            ws -> ws.writeRaw(masked(new byte[] {(byte) 0x81, (byte) (0x80 | 126), 0, 15}, PING))),
        // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
        // integer ... representing a status code"
        violation("close-with-1-byte-body", 1002, ws -> ws.send(RawWs.CLOSE, new byte[] {3})),
        // §7.4.1: 1005 "MUST NOT be set as a status code in a Close control frame by an endpoint";
        // §7.4.2: "Status codes in the range 0-999 are not used"
        violation(
            "close-code-1005", 1002, ws -> ws.send(RawWs.CLOSE, new byte[] {0x03, (byte) 0xED})),
        violation(
            "close-code-999", 1002, ws -> ws.send(RawWs.CLOSE, new byte[] {0x03, (byte) 0xE7})),
        // §7.4.2 assigns no range above 4999 (4000-4999 is the last, private use); Netty's decoder
        // read such a code as a signed short and let it through, and Vert.x echoed it
        violation(
            "close-code-5000", 1002, ws -> ws.send(RawWs.CLOSE, new byte[] {0x13, (byte) 0x88})),
        violation(
            "close-code-65535",
            1002,
            ws -> ws.send(RawWs.CLOSE, new byte[] {(byte) 0xFF, (byte) 0xFF})),
        // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
        // stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
        // Connection_"; §7.4.1: 1007 for "data within a message that was not consistent with the
        // type of the message (e.g., non-UTF-8 [RFC3629] data within a text message)"
        violation(
            "text-with-encoded-surrogate",
            1007,
            ws -> ws.send(RawWs.TEXT, jsonWith(0xED, 0xA0, 0x80))),
        violation(
            "text-with-overlong-encoding", 1007, ws -> ws.send(RawWs.TEXT, jsonWith(0xC0, 0xAF))),
        violation(
            "text-invalid-across-fragments",
            1007,
            ws -> {
              ws.send(0x01, true, concat("{\"type\":\"ping\",\"x\":\"", 0xE2, 0x82));
              ws.send(0x80, true, "(\"}".getBytes(StandardCharsets.UTF_8));
            }),
        // §8.1 and §7.4.1's 1009 ("a message that is too big") at once, in one fragment: the
        // UTF-8 check runs on each frame as it arrives, before the message is reassembled and
        // measured, so the text's violation is the one the connection fails with
        violation(
            "text-over-the-bound-and-not-utf-8",
            1007,
            ws -> {
              ws.send(0x01, true, "{\"type\":\"ping\",\"x\":\"".getBytes(StandardCharsets.UTF_8));
              byte[] rest = new byte[WsOptions.DEFAULT_MAX_FRAME_BYTES - 10];
              Arrays.fill(rest, (byte) 'x');
              rest[0] = (byte) 0xFF;
              ws.send(0x80, true, rest);
            }),
        violation(
            "text-ending-inside-a-character",
            1007,
            ws -> ws.send(RawWs.TEXT, concat("{\"type\":\"ping\"}", 0xE2, 0x82))),
        // §5.5.1: the close reason "is not guaranteed to be human readable" but is UTF-8; §8.1
        violation(
            "close-reason-not-utf-8",
            1007,
            ws -> ws.send(RawWs.CLOSE, new byte[] {0x03, (byte) 0xE8, (byte) 0xFF, (byte) 0xFE})),
        // the same for a reason that ends inside a character (Netty's decoder let it through)
        violation(
            "close-reason-ending-inside-a-character",
            1007,
            ws -> ws.send(RawWs.CLOSE, new byte[] {0x03, (byte) 0xE8, (byte) 0xC9})));
  }

  /** Each violation before the hello and after it. */
  static Stream<Arguments> violationsBeforeAndAfterHello() {
    return violations().stream()
        .flatMap(
            v ->
                Stream.of(
                    Arguments.of(v.get()[0], v.get()[1], v.get()[2], false),
                    Arguments.of(v.get()[0], v.get()[1], v.get()[2], true)));
  }

  /**
   * Verifies that each forbidden frame fails the connection with 1002 or 1007 (RFC 6455 §7.1.7:
   * "the endpoint MUST _Close the WebSocket Connection_"; §5.1, §5.2, §5.4, §5.5, §5.5.1, §7.4,
   * §8.1 as listed in {@link #violations}), whether or not the device has said hello, and that the
   * broker closes the TCP connection after its close frame.
   */
  @ParameterizedTest(name = "{0}, after the hello: {3}")
  @MethodSource("violationsBeforeAndAfterHello")
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void forbiddenFrameFailsTheConnectionWithTheCodeRfc6455Names(
      String name, int expectedCode, Violation violation, boolean afterHello) throws Exception {
    // given
    String device = "ws-raw-" + name;
    try (RawWs ws =
        afterHello ? RawWs.hello(transport.port(), device) : RawWs.connect(transport.port())) {

      // when
      violation.send(ws);

      // then: the close frame with its code and nothing before it, then the end of the connection
      assertThat(ws.closeFrameAloneAndEnd()).isEqualTo(expectedCode);
      if (afterHello) {
        JsonObject closed = fixture.await(Addresses.CLOSED, device);
        assertThat(closed.getString("reason")).isEqualTo("PROTOCOL_ERROR");
        assertThat(closed.getString("transport")).isEqualTo("websocket");
      } else {
        JsonObject rejected =
            fixture.await(Addresses.REJECTED, e -> ws.remote().equals(e.getString("remote")));
        assertThat(rejected.getString("code")).isEqualTo("bad_frame");
        assertThat(rejected.getString("transport")).isEqualTo("websocket");
      }
    }
  }

  /**
   * Verifies that the UTF-8 check follows a character across fragments: one split between two
   * frames is accepted, and a sequence broken at the fragment boundary fails the connection with
   * 1007 (RFC 6455 §5.6: "a text message in its entirety MUST contain valid UTF-8. Invalid UTF-8 in
   * reassembled messages is handled as described in Section 8.1"; §8.1).
   */
  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void characterSplitAcrossFragmentsIsWelcomeButOneBrokenThereFailsWithCode1007() throws Exception {
    try (RawWs ws = RawWs.hello(transport.port(), "ws-raw-split-euro")) {
      // given: "€" (E2 82 AC) split after its first byte; the broker answers the ping
      ws.send(0x01, true, concat("{\"type\":\"ping\",\"x\":\"", 0xE2));
      ws.send(0x80, true, concat("", 0x82, 0xAC, '"', '}'));
      assertThat(ws.next().text()).isEqualTo("{\"type\":\"pong\"}");

      // when: the same split, but the second fragment does not continue the character
      ws.send(0x01, true, concat("{\"type\":\"ping\",\"x\":\"", 0xE2));
      ws.send(0x80, true, concat("", 0x82, '"', '}'));

      // then
      assertThat(ws.closeFrameAloneAndEnd()).isEqualTo(1007);
      assertThat(fixture.await(Addresses.CLOSED, "ws-raw-split-euro").getString("reason"))
          .isEqualTo("PROTOCOL_ERROR");
    }
  }

  private static Arguments violation(String name, int code, Violation violation) {
    return Arguments.of(name, code, violation);
  }

  /** A ping frame's JSON whose string field holds {@code bytes}. */
  private static byte[] jsonWith(int... bytes) {
    return concat(concat("{\"type\":\"ping\",\"x\":\"", bytes), '"', '}');
  }

  private static byte[] concat(String text, int... bytes) {
    return concat(text.getBytes(StandardCharsets.UTF_8), bytes);
  }

  private static byte[] concat(byte[] head, int... bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head);
    for (int b : bytes) {
      out.write(b);
    }
    return out.toByteArray();
  }

  /** A header of the test's own making followed by a zero mask key and the payload as it is. */
  private static byte[] masked(byte[] header, byte[] payload) {
    return concat(concat(header, 0, 0, 0, 0), toInts(payload));
  }

  private static int[] toInts(byte[] bytes) {
    int[] ints = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ints[i] = bytes[i] & 0xFF;
    }
    return ints;
  }
}

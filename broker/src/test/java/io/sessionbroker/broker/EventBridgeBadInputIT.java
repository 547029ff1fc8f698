package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies what the TCP event bus bridge answers input that is not a well-formed bridge frame, over
 * a plain socket with raw bytes. The bridge's protocol (vertx-tcp-eventbus-bridge documentation,
 * "the message must be prefixed by a big endian 32 bits positive integer (4 bytes) that indicates
 * the full length of the JSON document") and docs/events.md, "What bad input gets": a length over
 * {@code bridge.maxFrameBytes} or a frame that is not a UTF-8 JSON object is answered with an
 * {@code err} frame and the connection closes at once, without waiting for the bytes the client
 * announced; a readable frame the bridge cannot act on is answered with an {@code err} frame and
 * the connection goes on in step (the next request is answered).
 */
@Timeout(60)
class EventBridgeBadInputIT {

  /** Far below the test's own timeout: a refusal that waits for anything fails here. */
  private static final Duration ANSWER = Duration.ofSeconds(5);

  /** {@code bridge.maxFrameBytes} as shipped. */
  private static final int MAX_FRAME_BYTES = 1024 * 1024;

  private static BrokerHarness harness;
  private static int bridgePort;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
    bridgePort = harness.conf.getJsonObject("bridge").getInteger("port");
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  /**
   * Verifies that an HTTP request ({@code curl http://127.0.0.1:7900/}), whose first four bytes
   * {@code "GET "} read as a length of 1,195,725,856, is answered {@code frame_too_large} and
   * closed at once instead of being waited on.
   */
  @Test
  void anHttpRequestIsRefusedAsFrameTooLargeAndClosedAtOnce() throws Exception {
    try (Socket socket = connect()) {
      // given a client that speaks HTTP to the bridge
      long started = System.nanoTime();

      // when
      write(
          socket,
          ("GET / HTTP/1.1\r\nHost: 127.0.0.1:"
                  + bridgePort
                  + "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));

      // then
      assertThat(readFrame(socket)).isEqualTo(err("frame_too_large"));
      assertClosed(socket);
      System.out.printf(
          "bridge: HTTP request refused and closed in %d ms%n",
          Duration.ofNanos(System.nanoTime() - started).toMillis());
    }
  }

  /**
   * Verifies that a length prefix above the bound (1 MiB + 1, 2 GiB − 1, 2 GiB, 4 GiB − 1 read
   * unsigned) is refused as soon as its 4 bytes are in: nothing of the announced frame is sent.
   */
  @ParameterizedTest
  @ValueSource(ints = {MAX_FRAME_BYTES + 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff})
  void aLengthPrefixAboveTheBoundIsRefusedWithoutWaitingForTheFrame(int length) throws Exception {
    try (Socket socket = connect()) {
      // when only the prefix is sent
      write(socket, ByteBuffer.allocate(4).putInt(length).array());

      // then
      assertThat(readFrame(socket)).isEqualTo(err("frame_too_large"));
      assertClosed(socket);
    }
  }

  /** Verifies that a frame of exactly {@code bridge.maxFrameBytes} (1 MiB) is read and answered. */
  @Test
  void aFrameOfExactlyTheBoundIsAccepted() throws Exception {
    try (Socket socket = connect()) {
      // given a ping padded to 1 MiB
      String head = "{\"type\":\"ping\",\"pad\":\"";
      String tail = "\"}";
      int padding = MAX_FRAME_BYTES - head.length() - tail.length();

      // when
      write(socket, frame((head + "x".repeat(padding) + tail).getBytes(StandardCharsets.UTF_8)));

      // then
      assertThat(readFrame(socket)).isEqualTo(new JsonObject().put("type", "pong"));
    }
  }

  /**
   * Verifies that a frame that is not a JSON object in UTF-8 (RFC 8259 §8.1: "JSON text exchanged
   * between systems that are not part of a closed ecosystem MUST be encoded using UTF-8") is
   * answered {@code invalid_json} and closed.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "[1,2]",
        "\"ping\"",
        "",
        "{\"type\":\"ping\"",
        // invalid UTF-8 inside a string: a lone continuation byte, an overlong '/'
        "{\"type\":\"ping\",\"x\":\"\\x80\"}",
        "{\"type\":\"ping\",\"x\":\"\\xc0\\xaf\"}"
      })
  void aFrameThatIsNotAUtf8JsonObjectIsRefusedAndClosed(String text) throws Exception {
    try (Socket socket = connect()) {
      // when
      write(socket, frame(bytes(text)));

      // then
      assertThat(readFrame(socket)).isEqualTo(err("invalid_json"));
      assertClosed(socket);
    }
  }

  /**
   * Verifies that a frame without a known {@code type}, without a string {@code address}, or with a
   * field of the wrong JSON type is answered with the bridge's {@code err} frame and the connection
   * stays in step: the request that follows is answered.
   */
  @Test
  void aReadableFrameTheBridgeCannotActOnIsAnsweredAndTheConnectionGoesOn() throws Exception {
    String[][] cases = {
      {"{\"type\":\"bogus\",\"address\":\"sessions.admin.count\"}", "unknown_type"},
      {"{\"address\":\"sessions.admin.count\"}", "unknown_type"},
      {"{\"type\":7,\"address\":\"sessions.admin.count\"}", "unknown_type"},
      {"{\"type\":\"send\",\"address\":5}", "missing_address"},
      {"{\"type\":\"register\"}", "missing_address"},
      {
        "{\"type\":\"send\",\"address\":\"sessions.admin.count\",\"replyAddress\":5}",
        "invalid_frame"
      },
      {"{\"type\":\"send\",\"address\":\"sessions.admin.count\",\"headers\":[]}", "invalid_frame"},
      {
        "{\"type\":\"send\",\"address\":\"sessions.admin.count\",\"headers\":{\"timeout\":\"x\"}}",
        "invalid_frame"
      },
      {
        "{\"type\":\"send\",\"address\":\"sessions.admin.count\",\"headers\":{\"codecName\":\"x\"}}",
        "invalid_frame"
      },
      {"{\"type\":\"publish\",\"address\":\"sessions.closed\"}", "access_denied"},
      // a ping's too: the bridge reads the headers of every frame
      {"{\"type\":\"ping\",\"headers\":4.9E-325}", "invalid_frame"},
      {"{\"type\":\"ping\",\"headers\":\"x\"}", "invalid_frame"},
    };
    try (Socket socket = connect()) {
      for (String[] bad : cases) {
        // when
        write(socket, frame(bytes(bad[0])));

        // then
        assertThat(readFrame(socket)).as("answer to %s", bad[0]).isEqualTo(err(bad[1]));
      }
      // and the connection is still in step
      JsonObject request =
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.ADMIN_COUNT)
              .put("body", new JsonObject())
              .put("replyAddress", "after-bad-input");
      write(socket, frame(bytes(request.encode())));
      JsonObject reply = readFrame(socket);
      assertThat(reply.getString("address")).as(reply.encode()).isEqualTo("after-bad-input");
      assertThat(reply.getJsonObject("body").getInteger("total")).isNotNull();
    }
  }

  /**
   * Verifies that registering the same address twice on one connection subscribes it once: each
   * event arrives once (the bridge alone would add a second consumer and forget the first, which
   * would outlive the connection).
   */
  @Test
  void registeringAnAddressTwiceDeliversEachEventOnce() throws Exception {
    try (Socket socket = connect()) {
      // given a client that registers sessions.opened twice
      JsonObject register =
          new JsonObject().put("type", "register").put("address", Addresses.OPENED);
      write(socket, frame(bytes(register.encode())));
      write(socket, frame(bytes(register.encode())));
      syncWith(socket, "registered");

      // when a device opens a session
      try (TcpDevice device = harness.tcpDevice()) {
        device.hello("bridge-twice-1", 30);
        harness.await(Addresses.OPENED, "bridge-twice-1");

        // then the client gets its event once, and the reply to a later request next
        JsonObject event = readFrame(socket);
        assertThat(event.getJsonObject("body").getString("deviceId")).isEqualTo("bridge-twice-1");
        syncWith(socket, "after-event");
      }
    }
  }

  /** Sends a request and asserts that its reply is the next frame. */
  private static void syncWith(Socket socket, String replyAddress) throws IOException {
    JsonObject request =
        new JsonObject()
            .put("type", "send")
            .put("address", Addresses.ADMIN_COUNT)
            .put("body", new JsonObject())
            .put("replyAddress", replyAddress);
    write(socket, frame(bytes(request.encode())));
    JsonObject reply = readFrame(socket);
    assertThat(reply.getString("address")).as(reply.encode()).isEqualTo(replyAddress);
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", bridgePort), 5_000);
    socket.setSoTimeout((int) ANSWER.toMillis());
    return socket;
  }

  private static void write(Socket socket, byte[] bytes) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(bytes);
    out.flush();
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

  private static byte[] frame(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  /** The next frame; fails if none comes within {@link #ANSWER} or the connection ends first. */
  private static JsonObject readFrame(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    try {
      byte[] payload = new byte[in.readInt()];
      in.readFully(payload);
      return new JsonObject(new String(payload, StandardCharsets.UTF_8));
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within " + ANSWER);
    } catch (EOFException e) {
      throw new AssertionError("the bridge closed the connection without an answer");
    }
  }

  /** The bridge has closed the connection: end of stream within {@link #ANSWER}, nothing more. */
  private static void assertClosed(Socket socket) throws IOException {
    try {
      assertThat(socket.getInputStream().read()).as("end of stream").isEqualTo(-1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the bridge did not close the connection within " + ANSWER);
    }
  }

  private static JsonObject err(String message) {
    return new JsonObject().put("type", "err").put("message", message);
  }
}

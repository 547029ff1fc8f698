package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a plain socket that writes exactly the bytes a test gives it: the HTTP
 * upgrade by hand, then frames with any header bits, masked or not (RFC 6455 §5.2). A well-behaved
 * client library cannot send what the broker must refuse.
 */
final class RawWs implements AutoCloseable {

  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CONTINUATION = 0x0;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;

  /** A frame the broker sent: its opcode and unmasked payload. */
  record Frame(int opcode, byte[] payload) {

    /** The status code of a close frame, or 1005 (§7.1.5: no status) if its body is empty. */
    int closeCode() {
      return payload.length < 2 ? 1005 : (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
    }

    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawWs(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /**
   * Sends an upgrade request for {@code pathAndQuery} with extra header lines ({@code "Name:
   * value\r\n"} each); returns the response's status line and headers.
   */
  static String upgradeResponse(int port, String pathAndQuery, String headerLines)
      throws IOException {
    try (RawWs ws = open(port)) {
      return ws.upgrade(port, pathAndQuery, headerLines);
    }
  }

  /** Connects and upgrades on {@code /devices}; fails unless the broker answers 101. */
  static RawWs connect(int port) throws IOException {
    RawWs ws = open(port);
    String response = ws.upgrade(port, "/devices", "");
    assertThat(response).as("the upgrade response").startsWith("HTTP/1.1 101");
    return ws;
  }

  /** Connects, upgrades and says hello as {@code deviceId}; returns after the welcome. */
  static RawWs hello(int port, String deviceId) throws IOException {
    RawWs ws = connect(port);
    ws.send(
        TEXT,
        new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("heartbeat", 30)
            .encode()
            .getBytes(StandardCharsets.UTF_8));
    Frame welcome = ws.next();
    assertThat(welcome.opcode()).isEqualTo(TEXT);
    assertThat(new JsonObject(welcome.text()).getString("type"))
        .as(welcome.text())
        .isEqualTo("welcome");
    return ws;
  }

  private static RawWs open(int port) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    return new RawWs(socket);
  }

  /**
   * Connects and sends an upgrade request on {@code /devices} with {@code early} right behind it,
   * in one write, without waiting for the 101 (which RFC 6455 §4.1 asks a client to wait for);
   * fails unless the broker answers 101.
   */
  static RawWs upgradeWith(int port, byte[] early) throws IOException {
    RawWs ws = open(port);
    String response = ws.upgrade(port, "/devices", "", early);
    assertThat(response).as("the upgrade response").startsWith("HTTP/1.1 101");
    return ws;
  }

  /**
   * Sends an upgrade request on {@code /devices} with {@code early} right behind it, in one write,
   * and resets the connection at once, without reading an answer.
   */
  static void sendAndReset(int port, byte[] early) throws IOException {
    RawWs ws = open(port);
    ws.writeRaw(concat(request(port, "/devices", ""), early));
    ws.reset();
  }

  private String upgrade(int port, String pathAndQuery, String headerLines) throws IOException {
    return upgrade(port, pathAndQuery, headerLines, new byte[0]);
  }

  private String upgrade(int port, String pathAndQuery, String headerLines, byte[] early)
      throws IOException {
    writeRaw(concat(request(port, pathAndQuery, headerLines), early));
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      head.write(in.readUnsignedByte());
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private static byte[] request(int port, String pathAndQuery, String headerLines) {
    return ("GET "
            + pathAndQuery
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + headerLines
            + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The parts, one after another. */
  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  /** Resets the connection (RST instead of FIN): the socket is gone before the broker answers. */
  void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  /** The local port: the broker names this connection {@code 127.0.0.1:<port>} in its events. */
  String remote() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  /** A final, masked frame without RSV bits. */
  void send(int opcode, byte[] payload) throws IOException {
    send(0x80 | opcode, true, payload);
  }

  /**
   * A frame with the first header byte as given (FIN, RSV1–3, opcode), masked or not, with the
   * shortest length encoding (§5.2).
   */
  void send(int firstByte, boolean masked, byte[] payload) throws IOException {
    writeRaw(frame(firstByte, masked, payload));
  }

  /** The bytes of a final, masked text frame carrying {@code text}. */
  static byte[] text(String text) {
    return frame(0x80 | TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The bytes of a frame, as {@link #send(int, boolean, byte[])} sends them. */
  static byte[] frame(int firstByte, boolean masked, byte[] payload) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(firstByte);
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      frame.write(mask | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(mask | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xFF);
    } else {
      throw new IllegalArgumentException("test frames stay under 64 KiB");
    }
    byte[] key = {0x37, (byte) 0xfa, 0x21, 0x3d};
    if (masked) {
      frame.write(key, 0, key.length);
    }
    for (int i = 0; i < payload.length; i++) {
      frame.write(masked ? payload[i] ^ key[i % 4] : payload[i]);
    }
    return frame.toByteArray();
  }

  /** Bytes as they are: a header of the test's own making. */
  void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next frame from the broker (unmasked, §5.1), within 10 s. */
  Frame next() throws IOException {
    int first = in.readUnsignedByte();
    int second = in.readUnsignedByte();
    long length = second & 0x7F;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[Math.toIntExact(length)];
    in.readFully(payload);
    return new Frame(first & 0x0F, payload);
  }

  /**
   * Asserts that the broker's next frame is a close frame — nothing before it, as when it fails the
   * connection (RFC 6455 §7.1.7) — and that the broker then closes the TCP connection; returns the
   * close frame's status code.
   */
  int closeFrameAloneAndEnd() throws IOException {
    Frame frame = next();
    assertThat(frame.opcode()).as("the broker's next frame, %s", frame.text()).isEqualTo(CLOSE);
    assertEndOfStream();
    return frame.closeCode();
  }

  /** Asserts that the broker has closed the TCP connection: end of stream (or a reset). */
  void assertEndOfStream() throws IOException {
    try {
      assertThat(in.read()).as("bytes after the close frame").isEqualTo(-1);
    } catch (SocketTimeoutException e) {
      fail("the broker left the TCP connection open after its close frame");
    } catch (EOFException | SocketException e) {
      // a reset is a closed connection too
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

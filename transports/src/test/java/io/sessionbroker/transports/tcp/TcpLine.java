package io.sessionbroker.transports.tcp;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A device on a plain socket speaking JSON lines: sends frames, reads the broker's, sees the socket
 * close.
 */
final class TcpLine implements AutoCloseable {

  private static final int READ_TIMEOUT_MS = 10_000;

  final String deviceId;
  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;

  TcpLine(String deviceId, int port) throws IOException {
    this.deviceId = deviceId;
    this.socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    this.in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    this.out = socket.getOutputStream();
  }

  /**
   * Says hello with a heartbeat in seconds and returns the broker's answer (a welcome, or an
   * error).
   */
  JsonObject hello(double heartbeatSeconds) throws IOException {
    send(
        new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("heartbeat", heartbeatSeconds));
    return receive();
  }

  /** Says hello and expects the welcome. */
  JsonObject open(double heartbeatSeconds) throws IOException {
    JsonObject welcome = hello(heartbeatSeconds);
    if (!"welcome".equals(welcome.getString("type"))) {
      throw new AssertionError(deviceId + ": expected a welcome, got " + welcome.encode());
    }
    return welcome;
  }

  void send(JsonObject frame) throws IOException {
    sendRaw(frame.encode() + "\n");
  }

  void sendRaw(String text) throws IOException {
    sendBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Bytes exactly as given, e.g. ones that are not UTF-8. */
  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * The next frame from the broker; fails if the socket closes first or nothing comes within 10 s.
   */
  JsonObject receive() throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new AssertionError(deviceId + ": the broker closed the socket instead of answering");
    }
    return new JsonObject(line);
  }

  /** Reads until the broker closes the socket; fails on any further frame or after 10 s. */
  void awaitClosedByBroker() throws IOException {
    String line = in.readLine();
    if (line != null) {
      throw new AssertionError(deviceId + ": expected the socket to close, got " + line);
    }
  }

  /** Resets the connection: the broker sees the socket go away without a bye. */
  void drop() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * A bare connection to the TCP event bus bridge, for tests of what the bridge lets an external
 * client do and of what its answers look like on the wire: frames go out exactly as given, and come
 * back one at a time, in the order the bridge wrote them, with nothing filtered out (unlike {@link
 * BridgeClient}).
 */
final class RawBridge implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  RawBridge(int port) throws IOException {
    this(connect(port));
  }

  /** A bridge client on a socket already connected, e.g. an {@code SSLSocket}. */
  RawBridge(Socket connected) throws IOException {
    socket = connected;
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return socket;
  }

  /**
   * The answer of a request to {@code address} on a new connection: the reply frame, or a failure.
   */
  static JsonObject ask(BrokerHarness harness, String address, JsonObject body) throws IOException {
    try (RawBridge bridge =
        new RawBridge(harness.conf.getJsonObject("bridge").getInteger("port"))) {
      return bridge.request(address, body);
    }
  }

  void send(JsonObject frame) throws IOException {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  /**
   * Sends a request and returns the next frame, which the bridge writes in order: its reply (a
   * {@code message} to the reply address, or one carrying {@code failureCode}), or an {@code err}
   * frame.
   */
  JsonObject request(String address, JsonObject body) throws IOException {
    send(
        new JsonObject()
            .put("type", "send")
            .put("address", address)
            .put("body", body)
            .put("replyAddress", "raw-" + UUID.randomUUID()));
    return next(BrokerHarness.WAIT);
  }

  /**
   * The next frame; fails if none comes within {@code timeout} or the bridge closed the connection.
   */
  JsonObject next(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no bridge frame within " + timeout);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package io.sessionbroker.testkit;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A device over raw TCP, written with a plain JDK socket: one JSON object per line. */
public final class TcpDevice implements AutoCloseable {

  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;

  public TcpDevice(String host, int port) throws IOException {
    this(connect(host, port));
  }

  /** A device on a socket already connected, e.g. an {@code SSLSocket} to a TLS port. */
  public TcpDevice(Socket connected) throws IOException {
    socket = connected;
    in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    out = socket.getOutputStream();
  }

  private static Socket connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 5_000);
    return socket;
  }

  /** Says hello and returns the welcome (or whatever came instead). */
  public JsonObject hello(String device, double heartbeatS) throws IOException {
    send(new JsonObject().put("type", "hello").put("device", device).put("heartbeat", heartbeatS));
    return read(Duration.ofSeconds(10));
  }

  public void send(JsonObject frame) throws IOException {
    sendRaw(frame.encode() + "\n");
  }

  public void sendRaw(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** The next frame; fails on timeout or end of stream. */
  public JsonObject read(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    String line = in.readLine();
    if (line == null) {
      throw new IOException("connection closed by the broker");
    }
    return new JsonObject(line);
  }

  /**
   * The next line exactly as the broker sent it, or null at the end of the stream: for checking
   * what comes after an error frame, where {@link #closedByBroker} would skip a frame that must not
   * be there.
   */
  public String nextLine(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    return in.readLine();
  }

  /**
   * This end's address as the broker reports it in events ({@code remote}): {@code 127.0.0.1:port}.
   */
  public String localAddress() {
    return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
  }

  /**
   * Whether the broker closes the connection (end of stream) within {@code timeout}, ignoring
   * frames.
   */
  public boolean closedByBroker(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      while (in.readLine() != null) {
        // skip frames until the end of the stream
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  /** Drops the connection without a goodbye: an RST, as when a device loses power mid-stream. */
  public void abort() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

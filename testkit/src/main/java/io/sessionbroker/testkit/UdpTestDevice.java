package io.sessionbroker.testkit;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A UDP device on a plain JDK datagram socket, as firmware would speak to the broker: one JSON
 * object per datagram, hellos padded so that the welcome is never larger than the hello
 * (docs/protocol.md), the welcome's ticket shown on every later datagram.
 */
public final class UdpTestDevice implements AutoCloseable {

  private final DatagramSocket socket;
  private final InetSocketAddress broker;
  private final Duration wait;
  private String device;
  private String ticket;

  /**
   * A device on a fresh loopback socket, speaking to the broker's UDP port.
   *
   * @param wait how long {@link #receive()} waits for a datagram before it fails
   */
  public UdpTestDevice(int brokerPort, Duration wait) throws IOException {
    this.wait = wait;
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    socket.setSoTimeout((int) wait.toMillis());
    broker = new InetSocketAddress(InetAddress.getLoopbackAddress(), brokerPort);
  }

  /** Says a padded hello (heartbeat 30 s) and returns the welcome; keeps its ticket. */
  public JsonObject hello(String deviceId) throws IOException {
    device = deviceId;
    send(
        new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("nonce", "n1")
            .put("heartbeat", 30)
            .put("pad", "x".repeat(200)));
    JsonObject welcome = receive();
    ticket = welcome.getString("ticket");
    return welcome;
  }

  /** Sends a ping and returns its answer, skipping command resends that cross it. */
  public JsonObject ping() throws IOException {
    send(ticketed("ping"));
    JsonObject answer = receive();
    while ("command".equals(answer.getString("type"))) {
      answer = receive();
    }
    return answer;
  }

  /** A frame of this type carrying the device's id and ticket. */
  public JsonObject ticketed(String type) {
    return new JsonObject().put("type", type).put("device", device).put("ticket", ticket);
  }

  /** This socket's address as the broker reports it ({@code remote}). */
  public String localAddress() {
    return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
  }

  public void send(JsonObject frame) throws IOException {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    socket.send(new DatagramPacket(bytes, bytes.length, broker));
  }

  /** The next datagram as JSON; a {@link SocketTimeoutException} when none comes in time. */
  public JsonObject receive() throws IOException {
    DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
    socket.receive(packet);
    return new JsonObject(
        new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
  }

  /** Whether no datagram arrives within {@code window}: for what must not be sent. */
  public boolean nothingWithin(Duration window) throws IOException {
    socket.setSoTimeout((int) window.toMillis());
    try {
      socket.receive(new DatagramPacket(new byte[2048], 2048));
      return false;
    } catch (SocketTimeoutException e) {
      return true;
    } finally {
      socket.setSoTimeout((int) wait.toMillis());
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}

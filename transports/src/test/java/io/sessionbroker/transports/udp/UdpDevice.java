package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A device speaking the UDP protocol through a plain JDK {@link DatagramSocket}, as firmware would:
 * no Vert.x on this side. One instance is one source address; {@link #as} lets a second socket
 * speak for the same session (NAT rebinding).
 */
final class UdpDevice implements AutoCloseable {

  /** What every hello is padded to: enough for any welcome (see docs/protocol.md). */
  static final int HELLO_BYTES = 160;

  final String deviceId;
  final DatagramSocket socket;
  private final InetSocketAddress broker;
  String session;
  String ticket;

  UdpDevice(String deviceId, int brokerPort) throws IOException {
    this.deviceId = deviceId;
    this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.broker = new InetSocketAddress(InetAddress.getLoopbackAddress(), brokerPort);
  }

  /** A second source address for the same device and session. */
  UdpDevice as(UdpDevice other) throws IOException {
    UdpDevice moved = new UdpDevice(other.deviceId, broker.getPort());
    moved.session = other.session;
    moved.ticket = other.ticket;
    return moved;
  }

  int localPort() {
    return socket.getLocalPort();
  }

  /** {@code 127.0.0.1:port} of this device's socket, as the broker reports it. */
  String remote() {
    return "127.0.0.1:" + localPort();
  }

  static JsonObject hello(String deviceId, String nonce, Number heartbeatSeconds) {
    JsonObject hello =
        new JsonObject().put("type", "hello").put("device", deviceId).put("nonce", nonce);
    if (heartbeatSeconds != null) {
      hello.put("heartbeat", heartbeatSeconds);
    }
    return hello;
  }

  /** Adds a {@code pad} field so that the frame encodes to exactly {@code bytes} bytes. */
  static JsonObject padded(JsonObject frame, int bytes) {
    int unpadded = frame.copy().put("pad", "").encode().length();
    assertThat(bytes).isGreaterThanOrEqualTo(unpadded);
    return frame.put("pad", "x".repeat(bytes - unpadded));
  }

  /**
   * Says hello (padded, with a fresh nonce), expects the welcome and keeps its session and ticket.
   */
  JsonObject open(Number heartbeatSeconds) throws IOException {
    send(padded(hello(deviceId, UUID.randomUUID().toString(), heartbeatSeconds), HELLO_BYTES));
    JsonObject welcome = receive();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    session = welcome.getString("session");
    ticket = welcome.getString("ticket");
    return welcome;
  }

  /** A frame of this type carrying this device's id and ticket. */
  JsonObject frame(String type) {
    return new JsonObject().put("type", type).put("device", deviceId).put("ticket", ticket);
  }

  JsonObject ping() throws IOException {
    send(frame("ping"));
    return receive();
  }

  void send(JsonObject frame) throws IOException {
    send(frame.encode().getBytes(StandardCharsets.UTF_8));
  }

  void send(byte[] datagram) throws IOException {
    socket.send(new DatagramPacket(datagram, datagram.length, broker));
  }

  /** The next datagram as JSON; fails after 5 s. */
  JsonObject receive() throws IOException {
    byte[] datagram = receive(Duration.ofSeconds(5));
    assertThat(datagram).as("a datagram within 5 s").isNotNull();
    return Buffer.buffer(datagram).toJsonObject();
  }

  /** The next datagram, or null if none arrives within {@code timeout}. */
  byte[] receive(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    byte[] buffer = new byte[4096];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    try {
      socket.receive(packet);
    } catch (SocketTimeoutException e) {
      return null;
    }
    return java.util.Arrays.copyOf(buffer, packet.getLength());
  }

  /**
   * Every datagram this socket receives before the welcome of a fresh hello sent now from the same
   * socket. The broker handles one source's datagrams in order and opens sessions in order, so
   * anything it meant to send in answer to earlier datagrams has arrived by then: "no reply" is
   * asserted without sleeping.
   */
  List<byte[]> repliesUntilBarrier(SessionTable table) throws Exception {
    return repliesUntilBarrier(table, DeviceAuth.NONE);
  }

  /**
   * As {@link #repliesUntilBarrier(SessionTable)}, on a broker that authenticates devices with
   * {@code auth}.
   */
  List<byte[]> repliesUntilBarrier(SessionTable table, DeviceAuth auth) throws Exception {
    String barrier = "barrier-" + UUID.randomUUID();
    JsonObject hello = hello(barrier, "n", 30);
    if (auth.required()) {
      hello.put("token", auth.tokenFor(barrier));
    }
    send(padded(hello, auth.required() ? 2 * HELLO_BYTES : HELLO_BYTES));
    List<byte[]> replies = new ArrayList<>();
    while (true) {
      byte[] datagram = receive(Duration.ofSeconds(5));
      assertThat(datagram).as("the barrier's welcome within 5 s").isNotNull();
      JsonObject frame = Buffer.buffer(datagram).toJsonObject();
      if ("welcome".equals(frame.getString("type"))) {
        JsonObject session =
            table.admin().get(frame.getString("session")).await(5, TimeUnit.SECONDS);
        if (session != null && barrier.equals(session.getString("deviceId"))) {
          return replies;
        }
      }
      replies.add(datagram);
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}

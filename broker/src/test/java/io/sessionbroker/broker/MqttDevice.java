package io.sessionbroker.broker;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal MQTT 3.1.1 device on a plain socket: CONNECT (clean session, keep-alive), CONNACK, and
 * nothing else. Enough to hold a session; a real client library is not needed for that.
 */
final class MqttDevice implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  MqttDevice(String host, int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 5_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends CONNECT (3.1.1 §3.1) and returns the CONNACK return code (§3.2.2.3), 0 = accepted. */
  int connect(String clientId, int keepAliveSeconds, Duration timeout) throws IOException {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02});
    body.write(keepAliveSeconds >> 8);
    body.write(keepAliveSeconds & 0xff);
    body.write(id.length >> 8);
    body.write(id.length & 0xff);
    body.write(id);
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(0x10);
    int remaining = body.size();
    do { // remaining length, §2.2.3
      int digit = remaining % 128;
      remaining /= 128;
      packet.write(remaining > 0 ? digit | 0x80 : digit);
    } while (remaining > 0);
    body.writeTo(packet);
    out.write(packet.toByteArray());
    out.flush();
    socket.setSoTimeout((int) timeout.toMillis());
    int type = in.readUnsignedByte();
    int length = in.readUnsignedByte();
    byte[] connack = new byte[length];
    in.readFully(connack);
    if (type != 0x20 || length != 2) {
      throw new IOException("expected CONNACK, got packet type " + Integer.toHexString(type));
    }
    return connack[1];
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

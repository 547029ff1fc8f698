package io.sessionbroker.transports.mqtt;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately dumb MQTT client on a plain socket, for what real clients will not do: stay
 * silent, drop the socket, send malformed or out-of-order packets, use a protocol version that does
 * not exist.
 */
final class RawMqtt implements AutoCloseable {

  /** One received packet: the first header byte and the body. */
  record Packet(int header, byte[] body) {
    int type() {
      return (header >> 4) & 0x0F;
    }
  }

  static final int CONNACK = 2;
  static final int PUBLISH = 3;
  static final int SUBACK = 9;
  static final int PINGRESP = 13;
  static final int DISCONNECT = 14;

  static final byte[] PINGREQ = {(byte) 0xC0, 0};
  static final byte[] DISCONNECT_NORMAL = {(byte) 0xE0, 0};

  /** MQTT 5 DISCONNECT with reason 0x04, Disconnect with Will Message. */
  static final byte[] DISCONNECT_WITH_WILL = {(byte) 0xE0, 1, 0x04};

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  RawMqtt(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(5_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** A CONNECT builder: protocol level 4 (3.1.1) or 5, clean, no will, no password. */
  static final class Connect {
    int level = 4;
    String clientId = "";
    int keepAlive = 30;
    boolean clean = true;
    String willTopic;
    String willPayload;
    int willQos = 1;
    boolean willRetain;
    long willDelaySeconds = -1;
    long sessionExpirySeconds = -1;
    String password;

    byte[] encode() {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      string(body, level == 3 ? "MQIsdp" : "MQTT");
      body.write(level);
      int will = willTopic == null ? 0 : 0x04 | willQos << 3 | (willRetain ? 0x20 : 0);
      int flags = (clean ? 0x02 : 0) | will | (password != null ? 0x40 | 0x80 : 0);
      body.write(flags);
      body.write(keepAlive >> 8);
      body.write(keepAlive & 0xFF);
      if (level == 5) {
        properties(body, 0x11, sessionExpirySeconds);
      }
      string(body, clientId);
      if (willTopic != null) {
        if (level == 5) {
          properties(body, 0x18, willDelaySeconds);
        }
        string(body, willTopic);
        string(body, willPayload);
      }
      if (password != null) {
        string(body, clientId);
        string(body, password);
      }
      return packet(0x10, body.toByteArray());
    }
  }

  static byte[] packet(int header, byte[] body) {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(header);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      packet.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    packet.writeBytes(body);
    return packet.toByteArray();
  }

  private static void properties(ByteArrayOutputStream body, int id, long fourByteValue) {
    if (fourByteValue < 0) {
      body.write(0);
      return;
    }
    body.write(5);
    body.write(id);
    for (int shift = 24; shift >= 0; shift -= 8) {
      body.write((int) (fourByteValue >> shift) & 0xFF);
    }
  }

  private static void string(ByteArrayOutputStream body, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    body.write(bytes.length >> 8);
    body.write(bytes.length & 0xFF);
    body.writeBytes(bytes);
  }

  /** How long {@link #read}, {@link #bytesUntilClosed} and {@link #closedByBroker} wait. */
  RawMqtt timeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
    return this;
  }

  RawMqtt send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Connects and returns the CONNACK. */
  Packet connect(Connect connect) throws IOException {
    send(connect.encode());
    return read();
  }

  Packet read() throws IOException {
    int header = in.readUnsignedByte();
    int length = 0;
    int multiplier = 1;
    int digit;
    do {
      digit = in.readUnsignedByte();
      length += (digit & 0x7F) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    byte[] body = new byte[length];
    in.readFully(body);
    return new Packet(header, body);
  }

  /**
   * Everything the broker sends until it closes the connection; fails (never returns) if it does
   * not close within the socket timeout. An empty result means the broker closed without sending
   * another packet.
   */
  byte[] bytesUntilClosed() throws IOException {
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    try {
      for (int b = in.read(); b >= 0; b = in.read()) {
        rest.write(b);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the broker did not close the connection within the socket timeout; got "
              + rest.size()
              + " bytes",
          e);
    } catch (IOException e) {
      // connection reset: closed as well
    }
    return rest.toByteArray();
  }

  /** Whether the broker closed the connection (end of stream) within the socket timeout. */
  boolean closedByBroker() throws IOException {
    try {
      while (in.read() >= 0) {
        // drain whatever came before the close
      }
      return true;
    } catch (EOFException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // connection reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

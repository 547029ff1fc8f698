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

    /** MQTT 5: the CONNECT properties as {@link Properties} encodes them, instead of the above. */
    byte[] connectProperties;

    /** MQTT 5: the Will Properties as {@link Properties} encodes them, instead of the delay. */
    byte[] willProperties;

    /** The will payload as bytes, instead of {@link #willPayload}. */
    byte[] willPayloadBytes;

    byte[] encode() {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      string(body, level == 3 ? "MQIsdp" : "MQTT");
      body.write(level);
      int will = willTopic == null ? 0 : 0x04 | willQos << 3 | (willRetain ? 0x20 : 0);
      int flags = (clean ? 0x02 : 0) | will | (password != null ? 0x40 | 0x80 : 0);
      body.write(flags);
      body.write(keepAlive >> 8);
      body.write(keepAlive & 0xFF);
      if (level == 5 && connectProperties != null) {
        body.writeBytes(connectProperties);
      } else if (level == 5) {
        properties(body, 0x11, sessionExpirySeconds);
      }
      string(body, clientId);
      if (willTopic != null) {
        if (level == 5 && willProperties != null) {
          body.writeBytes(willProperties);
        } else if (level == 5) {
          properties(body, 0x18, willDelaySeconds);
        }
        string(body, willTopic);
        binary(body, willPayloadBytes != null ? willPayloadBytes : utf8(willPayload));
      }
      if (password != null) {
        string(body, clientId);
        string(body, password);
      }
      return packet(0x10, body.toByteArray());
    }
  }

  /**
   * MQTT 5 properties (§2.2.2), in the order added, encoded with their Variable Byte Integer length
   * in front.
   */
  static final class Properties {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Properties oneByte(int id, int value) {
      bytes.write(id);
      bytes.write(value);
      return this;
    }

    Properties twoBytes(int id, int value) {
      bytes.write(id);
      bytes.write(value >> 8);
      bytes.write(value & 0xFF);
      return this;
    }

    Properties fourBytes(int id, long value) {
      bytes.write(id);
      for (int shift = 24; shift >= 0; shift -= 8) {
        bytes.write((int) (value >> shift) & 0xFF);
      }
      return this;
    }

    Properties varInt(int id, int value) {
      bytes.write(id);
      writeVarInt(bytes, value);
      return this;
    }

    Properties string(int id, String value) {
      bytes.write(id);
      RawMqtt.string(bytes, value);
      return this;
    }

    Properties pair(int id, String name, String value) {
      bytes.write(id);
      RawMqtt.string(bytes, name);
      RawMqtt.string(bytes, value);
      return this;
    }

    byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      writeVarInt(out, bytes.size());
      out.writeBytes(bytes.toByteArray());
      return out.toByteArray();
    }
  }

  /**
   * A PUBLISH: {@code flags} are the low nibble of the first byte (DUP, QoS, RETAIN); a packet id
   * when QoS > 0; {@code properties} as {@link Properties} encodes them (MQTT 5) or null (3.1.1).
   */
  static byte[] publish(int flags, String topic, int packetId, byte[] properties, byte[] payload) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    string(body, topic);
    if ((flags & 0x06) != 0) {
      body.write(packetId >> 8);
      body.write(packetId & 0xFF);
    }
    if (properties != null) {
      body.writeBytes(properties);
    }
    body.writeBytes(payload);
    return packet(0x30 | flags, body.toByteArray());
  }

  /** The parts one after the other: several packets for one write. */
  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
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

  private static void writeVarInt(ByteArrayOutputStream out, int value) {
    do {
      int digit = value % 128;
      value /= 128;
      out.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static void string(ByteArrayOutputStream body, String value) {
    binary(body, utf8(value));
  }

  private static void binary(ByteArrayOutputStream body, byte[] bytes) {
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

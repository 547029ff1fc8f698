package io.sessionbroker.bench.load;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The few bytes each transport needs, written by hand so one thread can drive thousands of sockets:
 * the JSON frames of docs/protocol.md (TCP: one per line; WebSocket: one per masked text frame, RFC 6455
 * §5.2–5.3) and the MQTT 3.1.1 CONNECT / PINGREQ packets (§3.1, §3.12).
 */
final class Wire {

  private static final byte[] MASK = {0x5a, 0x17, 0x3c, 0x71};
  private static final byte[] TCP_PING = "{\"type\":\"ping\"}\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MQTT_PINGREQ = {(byte) 0xC0, 0x00};
  private static final byte[] WS_PING = wsText("{\"type\":\"ping\"}");

  private Wire() {}

  /** The first bytes a device sends once connected. */
  static ByteBuffer opening(Transport t, String device, long heartbeatMs, String host, int port, String wsPath) {
    return switch (t) {
      case TCP -> ascii("{\"type\":\"hello\",\"device\":\"" + device + "\",\"heartbeat\":" + seconds(heartbeatMs)
          + "}\n");
      case MQTT -> mqttConnect(device, keepAliveS(heartbeatMs));
      case WEBSOCKET -> ascii("GET " + wsPath + "?device=" + device + "&heartbeat=" + seconds(heartbeatMs)
          + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    };
  }

  /** A heartbeat: {@code ping} frame or PINGREQ. */
  static ByteBuffer ping(Transport t) {
    return ByteBuffer.wrap(switch (t) {
      case TCP -> TCP_PING;
      case MQTT -> MQTT_PINGREQ;
      case WEBSOCKET -> WS_PING;
    });
  }

  /** MQTT keep-alive in whole seconds, rounded up (§3.1.2.10: the unit is one second). */
  static int keepAliveS(long heartbeatMs) {
    return (int) Math.min(65_535, (heartbeatMs + 999) / 1000);
  }

  /**
   * Reads the broker's answer to the opening so far. Returns the session timeout in ms once the session is
   * open, {@code -1} while more bytes are needed, and throws when the broker refused.
   */
  static long handshake(Transport t, byte[] soFar, int length, long heartbeatMs) {
    if (t == Transport.MQTT) {
      if (length < 4) {
        return -1;
      }
      if (soFar[0] != 0x20 || soFar[3] != 0) {
        throw new IllegalStateException("CONNACK refused: return code " + soFar[3]);
      }
      return keepAliveS(heartbeatMs) * 1500L; // the broker closes after 1.5 x keep-alive, §3.1.2.10
    }
    String text = new String(soFar, 0, length, StandardCharsets.ISO_8859_1);
    if (text.contains("\"error\"") || (t == Transport.WEBSOCKET && text.startsWith("HTTP/1.1 4"))) {
      throw new IllegalStateException("refused: " + text.strip());
    }
    int at = text.indexOf("\"timeout\":");
    if (!text.contains("\"welcome\"") || at < 0) {
      return -1;
    }
    int from = at + "\"timeout\":".length();
    int to = from;
    while (to < text.length() && (Character.isDigit(text.charAt(to)) || text.charAt(to) == '.')) {
      to++;
    }
    if (to == text.length()) {
      return -1;
    }
    return Math.round(Double.parseDouble(text.substring(from, to)) * 1000);
  }

  /** A masked, empty close frame: the client's half of the closing handshake (RFC 6455 §5.5.1). */
  static ByteBuffer wsCloseReply() {
    return ByteBuffer.wrap(new byte[] {(byte) 0x88, (byte) 0x80, MASK[0], MASK[1], MASK[2], MASK[3]});
  }

  /**
   * Walks the server's frames in {@code in} (unmasked, RFC 6455 §5.2) and tells whether one is a close
   * frame. {@code d.wsSkip} carries a payload that continues into the next read; a header split across
   * reads is not handled (the broker's frames are a few dozen bytes and arrive whole on loopback).
   */
  static boolean wsCloseFrame(Device d, ByteBuffer in) {
    while (in.hasRemaining()) {
      if (d.wsSkip > 0) {
        int skip = (int) Math.min(d.wsSkip, in.remaining());
        in.position(in.position() + skip);
        d.wsSkip -= skip;
        continue;
      }
      if (in.remaining() < 2) {
        return false;
      }
      int opcode = in.get() & 0x0f;
      long length = in.get() & 0x7f;
      if (opcode == 0x8) {
        return true;
      }
      if (length == 126 && in.remaining() >= 2) {
        length = in.getShort() & 0xffff;
      } else if (length == 127 && in.remaining() >= 8) {
        length = in.getLong();
      }
      d.wsSkip = length;
    }
    return false;
  }

  /** Whether these bytes hold a {@code bye} frame (TCP JSON lines). */
  static boolean containsBye(ByteBuffer in) {
    byte[] b = new byte[in.remaining()];
    in.duplicate().get(b);
    return new String(b, StandardCharsets.ISO_8859_1).contains("\"bye\"");
  }

  static byte[] wsText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    if (payload.length > 125) {
      throw new IllegalArgumentException("only short frames");
    }
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81; // FIN + text
    frame[1] = (byte) (0x80 | payload.length); // masked, as every client frame must be (RFC 6455 §5.3)
    System.arraycopy(MASK, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ MASK[i % 4]);
    }
    return frame;
  }

  static ByteBuffer mqttConnect(String clientId, int keepAliveS) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    int remaining = 10 + 2 + id.length;
    ByteBuffer b = ByteBuffer.allocate(2 + 2 + remaining);
    b.put((byte) 0x10);
    if (remaining > 127) {
      b.put((byte) (0x80 | (remaining & 0x7f))).put((byte) (remaining >> 7));
    } else {
      b.put((byte) remaining);
    }
    b.putShort((short) 4).put("MQTT".getBytes(StandardCharsets.US_ASCII)).put((byte) 4) // protocol level 3.1.1
        .put((byte) 0x02) // clean session
        .putShort((short) keepAliveS).putShort((short) id.length).put(id);
    return b.flip();
  }

  private static String seconds(long ms) {
    return ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }
}

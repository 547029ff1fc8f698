package io.sessionbroker.bench.load;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The few bytes each transport needs, written by hand so one thread can drive thousands of sockets:
 * the JSON frames of docs/protocol.md (TCP: one per line; WebSocket: one per masked text frame, RFC
 * 6455 §5.2–5.3) and the MQTT 3.1.1 CONNECT / PINGREQ packets (§3.1, §3.12).
 */
final class Wire {

  private static final byte[] MASK = {0x5a, 0x17, 0x3c, 0x71};
  private static final byte[] TCP_PING =
      "{\"type\":\"ping\"}\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MQTT_PINGREQ = {(byte) 0xC0, 0x00};
  private static final byte[] WS_PING = wsText("{\"type\":\"ping\"}");

  private Wire() {}

  /** The first bytes a device sends once connected. */
  static ByteBuffer opening(
      Transport t, String device, long heartbeatMs, String host, int port, String wsPath) {
    return switch (t) {
      case TCP ->
          ascii(
              "{\"type\":\"hello\",\"device\":\""
                  + device
                  + "\",\"heartbeat\":"
                  + seconds(heartbeatMs)
                  + "}\n");
      case MQTT -> mqttConnect(device, keepAliveS(heartbeatMs));
      case UDP -> throw new IllegalArgumentException("UDP: see udpHello");
      case WEBSOCKET ->
          ascii(
              "GET "
                  + wsPath
                  + "?device="
                  + device
                  + "&heartbeat="
                  + seconds(heartbeatMs)
                  + " HTTP/1.1\r\nHost: "
                  + host
                  + ":"
                  + port
                  + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    };
  }

  /** A heartbeat: {@code ping} frame or PINGREQ. */
  static ByteBuffer ping(Transport t) {
    return ByteBuffer.wrap(
        switch (t) {
          case TCP -> TCP_PING;
          case MQTT -> MQTT_PINGREQ;
          case WEBSOCKET -> WS_PING;
          case UDP -> throw new IllegalArgumentException("UDP: see udpPing");
        });
  }

  /**
   * The length every UDP hello is padded to: 160 bytes plus the nonce's length covers any welcome.
   */
  static final int UDP_HELLO_BYTES = 240;

  /**
   * A UDP hello (docs/protocol.md, "UDP transport"), padded with {@code pad} to {@link
   * #UDP_HELLO_BYTES} bytes plus the nonce's length, so that the broker may answer it (no
   * amplification).
   */
  static ByteBuffer udpHello(String device, String nonce, long heartbeatMs) {
    String head =
        "{\"type\":\"hello\",\"device\":\""
            + device
            + "\",\"nonce\":\""
            + nonce
            + "\",\"heartbeat\":"
            + seconds(heartbeatMs)
            + ",\"pad\":\"";
    int padding = Math.max(0, UDP_HELLO_BYTES + nonce.length() - head.length() - 2);
    return ascii(head + "x".repeat(padding) + "\"}");
  }

  /** A UDP heartbeat: {@code ping} with the session's ticket. */
  static ByteBuffer udpPing(String device, String ticket) {
    return ascii("{\"type\":\"ping\",\"device\":\"" + device + "\",\"ticket\":\"" + ticket + "\"}");
  }

  /** A UDP {@code bye}: ends the session at once (the load generator's clean-up). */
  static ByteBuffer udpBye(String device, String ticket) {
    return ascii("{\"type\":\"bye\",\"device\":\"" + device + "\",\"ticket\":\"" + ticket + "\"}");
  }

  /**
   * The nonce of device {@code index}: its welcome names it, which is how replies find their
   * device.
   */
  static String udpNonce(int index) {
    return "n" + index;
  }

  /** The device index in a nonce made by {@link #udpNonce}, or -1. */
  static int udpNonceIndex(String nonce) {
    if (nonce == null || nonce.length() < 2 || nonce.charAt(0) != 'n') {
      return -1;
    }
    try {
      return Integer.parseInt(nonce, 1, nonce.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** What a datagram from the broker says; fields absent from its type are null (timeout: -1). */
  record UdpReply(String type, String nonce, String ticket, String session, long timeoutMs) {}

  private static final byte[] UDP_PONG = "{\"type\":\"pong\"}".getBytes(StandardCharsets.US_ASCII);
  private static final UdpReply UDP_PONG_REPLY = new UdpReply("pong", null, null, null, -1);

  /**
   * Reads one datagram from the broker. A {@code pong} (the common case, tens of thousands a
   * second) is recognised without parsing; anything else is parsed as JSON. Returns null for what
   * is not a JSON object.
   */
  static UdpReply udpReply(byte[] bytes, int length) {
    if (length == UDP_PONG.length
        && java.util.Arrays.equals(bytes, 0, length, UDP_PONG, 0, length)) {
      return UDP_PONG_REPLY;
    }
    io.vertx.core.json.JsonObject j;
    try {
      j = new io.vertx.core.json.JsonObject(new String(bytes, 0, length, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
    Object timeout = j.getValue("timeout");
    long timeoutMs = timeout instanceof Number n ? Math.round(n.doubleValue() * 1000) : -1;
    return new UdpReply(
        String.valueOf(j.getValue("type")),
        j.getString("nonce"),
        j.getString("ticket"),
        j.getString("session"),
        timeoutMs);
  }

  /** MQTT keep-alive in whole seconds, rounded up (§3.1.2.10: the unit is one second). */
  static int keepAliveS(long heartbeatMs) {
    return (int) Math.min(65_535, (heartbeatMs + 999) / 1000);
  }

  /**
   * Reads the broker's answer to the opening so far. Returns the session timeout in ms once the
   * session is open, {@code -1} while more bytes are needed, and throws when the broker refused.
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
    return ByteBuffer.wrap(
        new byte[] {(byte) 0x88, (byte) 0x80, MASK[0], MASK[1], MASK[2], MASK[3]});
  }

  /**
   * Walks the server's frames in {@code in} (unmasked, RFC 6455 §5.2) and tells whether one is a
   * close frame. {@code d.wsSkip} carries a payload that continues into the next read; a header
   * split across reads is not handled (the broker's frames are a few dozen bytes and arrive whole
   * on loopback).
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
    frame[1] =
        (byte) (0x80 | payload.length); // masked, as every client frame must be (RFC 6455 §5.3)
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
    b.putShort((short) 4)
        .put("MQTT".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 4) // protocol level 3.1.1
        .put((byte) 0x02) // clean session
        .putShort((short) keepAliveS)
        .putShort((short) id.length)
        .put(id);
    return b.flip();
  }

  private static String seconds(long ms) {
    return ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }
}

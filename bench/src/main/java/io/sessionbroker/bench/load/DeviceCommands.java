package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The device side of commands (docs/protocol.md, "Commands"): reads what the broker writes on an
 * open session and answers every command at once with status 200 and the command's own payload.
 * TCP: JSON lines; WebSocket: the server's unmasked frames (RFC 6455 §5.2), answered with masked
 * text frames; MQTT 3.1.1: PUBLISH to {@code commands/{id}/req/{cmdId}/{name}} (§3.3), answered by
 * a QoS 0 PUBLISH to {@code commands/{id}/res/{cmdId}/200}. Bytes are kept per device until a frame
 * is whole. UDP commands are answered by {@link UdpDevices}.
 */
final class DeviceCommands {

  /** The MQTT packet identifier of the device's one SUBSCRIBE. */
  private static final int SUBSCRIBE_ID = 1;

  private final Counters counters;

  DeviceCommands(Counters counters) {
    this.counters = counters;
  }

  /** MQTT: SUBSCRIBE {@code commands/{id}/req/#} at QoS 0 (§3.8); its SUBACK makes it ready. */
  static ByteBuffer mqttSubscribe(String deviceId) {
    byte[] filter = ("commands/" + deviceId + "/req/#").getBytes(StandardCharsets.UTF_8);
    int remaining = 2 + 2 + filter.length + 1;
    ByteBuffer b = ByteBuffer.allocate(5 + remaining);
    b.put((byte) 0x82); // SUBSCRIBE, reserved flags 0010 (§3.8.1)
    remainingLength(b, remaining);
    b.putShort((short) SUBSCRIBE_ID).putShort((short) filter.length).put(filter).put((byte) 0);
    return b.flip();
  }

  /**
   * Takes bytes read from an open device's socket, answers every whole command in them; returns
   * true when a WebSocket close frame came (the session ended).
   */
  boolean read(Device d, ByteBuffer in) throws IOException {
    int n = in.remaining();
    if (d.inbox == null) {
      d.inbox = new byte[Math.max(256, n)];
    } else if (d.inboxLength + n > d.inbox.length) {
      d.inbox = Arrays.copyOf(d.inbox, Math.max(d.inbox.length * 2, d.inboxLength + n));
    }
    in.get(d.inbox, d.inboxLength, n);
    d.inboxLength += n;
    int used =
        switch (d.transport) {
          case TCP -> lines(d);
          case WEBSOCKET -> wsFrames(d);
          case MQTT -> mqttPackets(d);
          case UDP -> throw new IllegalArgumentException("UDP: see UdpDevices");
        };
    if (used < 0) {
      return true;
    }
    System.arraycopy(d.inbox, used, d.inbox, 0, d.inboxLength - used);
    d.inboxLength -= used;
    return false;
  }

  private int lines(Device d) throws IOException {
    int from = 0;
    for (int i = 0; i < d.inboxLength; i++) {
      if (d.inbox[i] == '\n') {
        String line = new String(d.inbox, from, i - from, StandardCharsets.UTF_8);
        from = i + 1;
        JsonObject reply = replyTo(line);
        if (reply != null) {
          write(d, ByteBuffer.wrap((reply.encode() + "\n").getBytes(StandardCharsets.UTF_8)));
        }
      }
    }
    return from;
  }

  /** Returns the bytes used, or -1 on a close frame. */
  private int wsFrames(Device d) throws IOException {
    int at = 0;
    while (d.inboxLength - at >= 2) {
      int opcode = d.inbox[at] & 0x0f;
      long length = d.inbox[at + 1] & 0x7f;
      int header = 2;
      if (length == 126) {
        if (d.inboxLength - at < 4) {
          break;
        }
        length = ((d.inbox[at + 2] & 0xff) << 8) | (d.inbox[at + 3] & 0xff);
        header = 4;
      } else if (length == 127) {
        if (d.inboxLength - at < 10) {
          break;
        }
        length = ByteBuffer.wrap(d.inbox, at + 2, 8).getLong();
        header = 10;
      }
      if (d.inboxLength - at - header < length) {
        break;
      }
      if (opcode == 0x8) {
        return -1;
      }
      if (opcode == 0x1) {
        JsonObject reply =
            replyTo(new String(d.inbox, at + header, (int) length, StandardCharsets.UTF_8));
        if (reply != null) {
          write(d, ByteBuffer.wrap(wsText(reply.encode().getBytes(StandardCharsets.UTF_8))));
        }
      }
      at += header + (int) length;
    }
    return at;
  }

  private int mqttPackets(Device d) throws IOException {
    int at = 0;
    while (d.inboxLength - at >= 2) {
      int type = (d.inbox[at] & 0xff) >> 4;
      int qos = (d.inbox[at] >> 1) & 3;
      int remaining = 0;
      int shift = 0;
      int i = at + 1;
      boolean whole = false;
      while (i < d.inboxLength && i - at <= 4) {
        int b = d.inbox[i++] & 0xff;
        remaining |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) == 0) {
          whole = true;
          break;
        }
      }
      if (!whole || d.inboxLength - i < remaining) {
        break;
      }
      if (type == 9) { // SUBACK
        if (!d.ready) {
          d.ready = true;
          counters.commandReady++;
        }
      } else if (type == 3) { // PUBLISH
        int topicLength = ((d.inbox[i] & 0xff) << 8) | (d.inbox[i + 1] & 0xff);
        String topic = new String(d.inbox, i + 2, topicLength, StandardCharsets.UTF_8);
        int p = i + 2 + topicLength;
        if (qos > 0) {
          write(d, ByteBuffer.wrap(new byte[] {0x40, 0x02, d.inbox[p], d.inbox[p + 1]}));
          p += 2;
        }
        byte[] payload = Arrays.copyOfRange(d.inbox, p, i + remaining);
        String[] levels = topic.split("/");
        if (levels.length == 5 && "req".equals(levels[2])) {
          write(d, mqttPublish("commands/" + levels[1] + "/res/" + levels[3] + "/200", payload));
          counters.commandsAnswered++;
        }
      }
      at = i + remaining;
    }
    return at;
  }

  /** The reply to a command frame, or null for any other frame. */
  JsonObject replyTo(String frame) {
    if (!frame.contains("\"command\"")) {
      return null;
    }
    JsonObject command = new JsonObject(frame);
    if (!"command".equals(command.getString("type"))) {
      return null;
    }
    counters.commandsAnswered++;
    return new JsonObject()
        .put("type", "reply")
        .put("id", command.getString("id"))
        .put("status", 200)
        .put("payload", command.getValue("payload"));
  }

  static ByteBuffer mqttPublish(String topic, byte[] payload) {
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    int remaining = 2 + t.length + payload.length;
    ByteBuffer b = ByteBuffer.allocate(5 + remaining);
    b.put((byte) 0x30); // PUBLISH, QoS 0
    remainingLength(b, remaining);
    b.putShort((short) t.length).put(t).put(payload);
    return b.flip();
  }

  /** A masked text frame of any length (RFC 6455 §5.2). */
  static byte[] wsText(byte[] payload) {
    int header = payload.length < 126 ? 2 : payload.length < 65_536 ? 4 : 10;
    ByteBuffer b = ByteBuffer.allocate(header + 4 + payload.length);
    b.put((byte) 0x81);
    if (header == 2) {
      b.put((byte) (0x80 | payload.length));
    } else if (header == 4) {
      b.put((byte) (0x80 | 126)).putShort((short) payload.length);
    } else {
      b.put((byte) (0x80 | 127)).putLong(payload.length);
    }
    byte[] mask = {0x5a, 0x17, 0x3c, 0x71};
    b.put(mask);
    for (int i = 0; i < payload.length; i++) {
      b.put((byte) (payload[i] ^ mask[i % 4]));
    }
    return b.array();
  }

  private static void remainingLength(ByteBuffer b, int remaining) {
    do {
      int digit = remaining % 128;
      remaining /= 128;
      b.put((byte) (remaining > 0 ? digit | 0x80 : digit));
    } while (remaining > 0);
  }

  private static void write(Device d, ByteBuffer bytes) throws IOException {
    Devices.write(d, bytes);
  }
}

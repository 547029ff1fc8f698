package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short way for heartbeats ({@link Heartbeats}) against the general one ({@link Frames#parse}):
 * what the short way reads, the general way reads as the same plain ping; what it does not read, it
 * leaves to the general way.
 */
class HeartbeatsTest {

  private static final String TICKET = "_kNHAWjCuWSRAMEcb9BXEA";

  /** Verifies that the heartbeats devices send are read, in any member order and spacing. */
  @Test
  void readsAPlainPingInAnyOrderAndSpacing() {
    List<String> plain =
        List.of(
            "{\"type\":\"ping\",\"device\":\"sensor-44\",\"ticket\":\"" + TICKET + "\"}",
            "{\"ticket\":\"" + TICKET + "\",\"device\":\"sensor-44\",\"type\":\"ping\"}",
            " {\r\n\t\"device\" : \"sensor-44\" , \"type\":\"ping\",\"ticket\":\""
                + TICKET
                + "\" }\n",
            new JsonObject()
                .put("type", "ping")
                .put("device", "sensor-44")
                .put("ticket", TICKET)
                .encode());
    for (String datagram : plain) {
      // when
      Heartbeats.Ping ping = Heartbeats.read(bytes(datagram));

      // then
      assertThat(ping).as(datagram).isEqualTo(new Heartbeats.Ping("sensor-44", TICKET));
      assertThat(generalWay(datagram)).as(datagram).isEqualTo(ping);
    }
  }

  /**
   * Verifies that anything but a plain ping is left to the general way: other types, a status,
   * escapes, non-ASCII, numbers, repeated or unknown members, and bytes that are not one JSON
   * object (RFC 8259 §2, §7: a string with a control character or a trailing comma is no JSON).
   */
  @Test
  void leavesEverythingElseToTheGeneralWay() {
    String ticket = "\"ticket\":\"" + TICKET + "\"";
    List<String> others =
        List.of(
            "{\"type\":\"data\",\"device\":\"d\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + ",\"status\":{\"battery\":80}}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + ",\"status\":\"full\"}",
            "{\"type\":\"ping\",\"device\":\"d\\u0041\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"dé\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"d\tx\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":7," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"d\",\"device\":\"e\"," + ticket + "}",
            "{\"type\":\"ping\",\"type\":\"ping\",\"device\":\"d\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + ",\"pad\":\"xx\"}",
            "{\"type\":\"ping\",\"device\":\"d\"}",
            "{\"type\":\"ping\"," + ticket + "}",
            "{\"device\":\"d\"," + ticket + "}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + ",}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + "}x",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket + "}{}",
            "{\"type\":\"ping\",\"device\":\"d\"," + ticket,
            "{\"type\":\"ping\" \"device\":\"d\"," + ticket + "}",
            "[\"type\",\"ping\"]",
            "{}",
            "",
            "\"ping\"");
    for (String datagram : others) {
      assertThat(Heartbeats.read(bytes(datagram))).as(datagram).isNull();
    }
  }

  /** Verifies that reading leaves the datagram's bytes unread for the general way. */
  @Test
  void leavesTheBytesUnread() {
    ByteBuf datagram =
        bytes("{\"type\":\"ping\",\"device\":\"sensor-44\",\"ticket\":\"" + TICKET + "\"}");
    int readable = datagram.readableBytes();

    Heartbeats.read(datagram);

    assertThat(datagram.readableBytes()).isEqualTo(readable);
  }

  private static ByteBuf bytes(String datagram) {
    // a slice with bytes around it, as a pooled buffer may be
    ByteBuf around = Unpooled.buffer();
    around.writeBytes("xx".getBytes(StandardCharsets.UTF_8));
    around.writeBytes(datagram.getBytes(StandardCharsets.UTF_8));
    around.writeBytes("yy".getBytes(StandardCharsets.UTF_8));
    return around.slice(2, around.readableBytes() - 4);
  }

  /** What the general way makes of the datagram, as a plain ping; null if it is none. */
  private static Heartbeats.Ping generalWay(String datagram) {
    JsonObject frame;
    try {
      frame = Frames.parse(Buffer.buffer(datagram));
    } catch (FrameException e) {
      return null;
    }
    boolean plain =
        Frames.PING.equals(Frames.type(frame))
            && frame.size() == 3
            && UdpFrames.device(frame) != null
            && UdpFrames.ticket(frame) != null;
    return plain ? new Heartbeats.Ping(UdpFrames.device(frame), UdpFrames.ticket(frame)) : null;
  }
}

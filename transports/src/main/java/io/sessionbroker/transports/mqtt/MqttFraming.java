package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts the byte stream into whole MQTT packets before Netty's {@link MqttDecoder} sees it, so that
 * no field of one packet can be read from the bytes of the next, and nothing is buffered toward a
 * length over the limit.
 *
 * <p>Why: {@code MqttDecoder} is a {@code ReplayingDecoder} that reads fields from the stream, not
 * from the packet: a field that runs past the Remaining Length (a CONNECT whose will flag promises
 * a will the packet does not hold, an UNSUBSCRIBE with Remaining Length 0) makes it wait for more
 * bytes — until the connect timeout, or until it misreads the next packet. It also leaves unchecked
 * what it does not need (bytes after a DISCONNECT's properties, properties not allowed in a packet,
 * reserved subscription option bits). Patching its output cannot fix a decoder that is waiting, so
 * this handler sits in front of it and, per packet:
 *
 * <ol>
 *   <li>reads the fixed header; a Remaining Length over four bytes (§1.5.5) or over {@code
 *       maxRemainingBytes} fails at once, before its body is buffered;
 *   <li>waits for the whole packet (at most {@code maxRemainingBytes}) and checks its body with
 *       {@link FrameRules};
 *   <li>decodes the packet, alone, with Netty's {@code MqttDecoder} ({@link PacketDecoder}: one per
 *       event loop, not one per connection); a field that runs past the packet's end makes it
 *       malformed; and hands the message on.
 * </ol>
 *
 * <p>It also puts right the property sections Netty would misread ({@link PropertyOrder}), and
 * offers each whole PINGREQ it cuts to the short way ({@link Pings}) before the decoder.
 *
 * <p>A refused packet travels on as an invalid {@link MqttMessage} whose cause is a {@link
 * WireViolation} (or {@link TooLongFrameException}), like Netty's own failures; every byte after it
 * is dropped, and {@link MqttLink} answers and closes. Netty's decoder is kept for what it does
 * well: turning bytes into messages, strict UTF-8 ([MQTT-1.5.4-1/2]), fixed-header flags.
 */
final class MqttFraming extends ChannelInboundHandlerAdapter {

  /** PINGREQ's fixed header (§3.12.1: type 12, no flags); its Remaining Length is 0. */
  private static final int PINGREQ = 0xC0;

  private final int maxRemainingBytes;
  private final Pings pings;

  /** The protocol level of the connection's CONNECT, 0 before it. */
  private int protocolLevel;

  /** Bytes read and not yet handed on: after each read, at most the start of one packet. */
  private ByteBuf buffered = Unpooled.EMPTY_BUFFER;

  /**
   * Per packet: where its property sections that Netty would misread start. Filled and read within
   * one {@link #nextPacket} on the event loop, before the packet is handed on, so one list per
   * thread serves every connection on it (a list per connection was 24 B of every MQTT session:
   * issue 17).
   */
  private static final FastThreadLocal<List<Integer>> MISREAD =
      new FastThreadLocal<>() {
        @Override
        protected List<Integer> initialValue() {
          return new ArrayList<>();
        }
      };

  private boolean failed;

  /**
   * @param maxRemainingBytes the largest Remaining Length accepted; a larger packet fails with
   *     {@link TooLongFrameException} before its body is buffered
   * @param pings offered each whole, well-formed PINGREQ ({@code 0xC0 0x00}) cut here; when it
   *     answers true the PINGREQ was answered and its two bytes are dropped, else the PINGREQ goes
   *     on to the decoder like any packet ({@link Pings#shortWay})
   */
  MqttFraming(int maxRemainingBytes, Pings pings) {
    this.maxRemainingBytes = maxRemainingBytes;
    this.pings = pings;
  }

  /** The protocol level of the CONNECT seen on this connection (4 for 3.1.1, 5), 0 before it. */
  int protocolLevel() {
    return protocolLevel;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf bytes)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (failed) {
      bytes.release(); // the connection is closing; read nothing more
      return;
    }
    buffered = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffered, bytes);
    while (!failed && buffered.isReadable() && nextPacket(ctx, buffered)) {
      // one packet per turn, each decoded before the next is cut
    }
    if (!buffered.isReadable()) {
      buffered.release();
      buffered = Unpooled.EMPTY_BUFFER;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    buffered.release();
    buffered = Unpooled.EMPTY_BUFFER;
  }

  /**
   * Cuts, checks and hands on the packet at the start of {@code in}; returns false while it is
   * still incomplete.
   */
  private boolean nextPacket(ChannelHandlerContext ctx, ByteBuf in) {
    int start = in.readerIndex();
    int header = in.getUnsignedByte(start);
    if (header >>> 4 == 1 && protocolLevel != 0) {
      // A second CONNECT is a protocol error ([MQTT-3.1.0-2]). Refused here, undecoded: Netty's
      // decoder would mark the channel with its protocol level, and the encoder then writes
      // everything after it — the CONNACK still owed to the first, the DISCONNECT 0x82 — in the
      // form of the level the device did not connect with (found by MqttFuzzIT).
      return fail(ctx, in, WireViolation.protocolError("a second CONNECT ([MQTT-3.1.0-2])"));
    }
    int remaining = 0;
    int lengthBytes = 0;
    int digit;
    do {
      if (lengthBytes == 4) {
        return fail(ctx, in, WireViolation.malformed("Remaining Length over four bytes (§1.5.5)"));
      }
      if (in.readableBytes() < 2 + lengthBytes) {
        return false; // wait for the rest of the fixed header
      }
      digit = in.getUnsignedByte(start + 1 + lengthBytes);
      remaining |= (digit & 0x7F) << (7 * lengthBytes);
      lengthBytes++;
    } while ((digit & 0x80) != 0);
    if (remaining > maxRemainingBytes) {
      return fail(
          ctx, in, new TooLongFrameException("Remaining Length " + remaining + " too large"));
    }
    int packetBytes = 1 + lengthBytes + remaining;
    if (in.readableBytes() < packetBytes) {
      return false; // wait for the whole packet: at most maxRemainingBytes are buffered
    }
    if (header == PINGREQ && packetBytes == 2 && pings.shortWay()) {
      // Answered: no decoder, no message object for the commonest packet. As below, a channel that
      // closed under the write has released the bytes.
      if (ctx.isRemoved()) {
        return false;
      }
      in.skipBytes(2);
      return true;
    }
    ByteBuf body = in.slice(start + 1 + lengthBytes, remaining);
    if (header >>> 4 == 1 && protocolLevel == 0) {
      protocolLevel = FrameRules.protocolLevel(body);
    }
    List<Integer> misread = MISREAD.get();
    misread.clear();
    WireViolation violation = FrameRules.check(header, body, protocolLevel, misread);
    if (violation != null) {
      return fail(ctx, in, violation);
    }
    ByteBuf packet = in.readRetainedSlice(packetBytes);
    if (!misread.isEmpty()) {
      packet = PropertyOrder.reorder(ctx.alloc(), packet, 1 + lengthBytes, misread);
    }
    MqttMessage message;
    try {
      message = PacketDecoder.decode(ctx, packet);
    } finally {
      packet.release(); // a message that needs its bytes (a PUBLISH's payload) retained a slice
    }
    if (message.decoderResult().isFailure()) { // Netty refused it, or a field ran past its end
      failed = true;
      in.skipBytes(in.readableBytes()); // as for a refusal of our own: nothing after it is read
    }
    ctx.fireChannelRead(message);
    return !ctx
        .isRemoved(); // false: the channel closed under it; handlerRemoved released the bytes
  }

  private boolean fail(ChannelHandlerContext ctx, ByteBuf in, Throwable cause) {
    failed = true;
    in.skipBytes(in.readableBytes());
    ctx.fireChannelRead(MqttMessageFactory.newInvalidMessage(cause)); // to vertx-mqtt's handler
    return false;
  }
}

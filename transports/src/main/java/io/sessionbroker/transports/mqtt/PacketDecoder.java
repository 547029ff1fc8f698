package io.sessionbroker.transports.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.util.concurrent.FastThreadLocal;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one whole MQTT packet into Netty's message with Netty's {@link MqttDecoder}: one decoder
 * per event loop, shared by every connection on it, instead of one in each connection's pipeline.
 *
 * <p>Why: {@link MqttFraming} hands the decoder exactly one whole packet at a time, so between two
 * packets a decoder holds nothing of any connection: its state is back at the fixed header and it
 * buffers no byte, and what is the connection's own (the protocol version its CONNECT set) lives on
 * the channel, which the decoder reads through the context it is given. As a pipeline handler, with
 * the handler behind it that told whether it had emitted a message, it was ≈ 340 bytes of every
 * MQTT session's heap (the decoder, its replay buffer and the slice in it, its UTF-8 decoder, two
 * pipeline contexts; issue 17, docs/benchmarks.md).
 *
 * <p>How: the decoder's {@code decode(ctx, buffer, out)} is protected and the class final, so it is
 * called through a method handle, on the packet's own bytes. There a field that runs past the
 * Remaining Length reads past the buffer's end and the decoder reports it as an invalid message
 * whose cause is an {@link IndexOutOfBoundsException} (in a pipeline it would have waited for more
 * bytes, which is why {@link MqttFraming} used to need the mark); this class reports it as {@link
 * WireViolation} Malformed Packet. A decoder that reported an invalid message stays in its failed
 * state: it is replaced. Netty's own check of the packet size is left to {@link MqttFraming}, which
 * applies it before a packet's body is buffered.
 *
 * <p>Threading: each event loop uses its own decoder and output list; a decode never fires
 * anything, so no other packet is decoded on the same thread before it returns.
 */
final class PacketDecoder {

  /**
   * {@code MqttDecoder.decode(ChannelHandlerContext, ByteBuf, List)}: protected, in a final class.
   */
  private static final MethodHandle DECODE =
      NonPublic.method(
          MqttDecoder.class, "decode", ChannelHandlerContext.class, ByteBuf.class, List.class);

  private static final FastThreadLocal<PacketDecoder> LOOP_DECODER =
      new FastThreadLocal<>() {
        @Override
        protected PacketDecoder initialValue() {
          return new PacketDecoder();
        }
      };

  private MqttDecoder decoder = newDecoder();
  private final List<Object> out = new ArrayList<>(1);

  private PacketDecoder() {}

  /**
   * Decodes {@code packet}, one whole packet (fixed header and Remaining Length bytes), on the
   * event loop of {@code ctx}'s channel. Does not release {@code packet}: the message may hold
   * slices of it (a PUBLISH's payload), retained for itself.
   *
   * @return the message; an invalid one (its {@code decoderResult()} failed) for a packet Netty
   *     refuses or whose fields run past its end
   */
  static MqttMessage decode(ChannelHandlerContext ctx, ByteBuf packet) {
    return LOOP_DECODER.get().decodeOne(ctx, packet);
  }

  private MqttMessage decodeOne(ChannelHandlerContext ctx, ByteBuf packet) {
    MqttMessage message;
    try {
      DECODE.invoke(decoder, ctx, packet, out);
      message = out.isEmpty() ? null : (MqttMessage) out.get(0);
    } catch (Throwable e) {
      message = MqttMessageFactory.newInvalidMessage(e);
    } finally {
      out.clear();
    }
    if (message == null) {
      // Not seen with Netty 4.2.17: a decoder with nothing to say about a whole packet.
      message = malformed();
    } else if (message.decoderResult().isSuccess()) {
      return message;
    } else if (readPastTheEnd(message.decoderResult().cause())) {
      message = malformed();
    }
    decoder = newDecoder(); // the failed one stays failed (BAD_MESSAGE): this loop gets another
    return message;
  }

  private static boolean readPastTheEnd(Throwable cause) {
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof IndexOutOfBoundsException) {
        return true;
      }
    }
    return false;
  }

  private static MqttMessage malformed() {
    return MqttMessageFactory.newInvalidMessage(
        WireViolation.malformed("a field runs past the Remaining Length"));
  }

  /**
   * No size bound of its own ({@link MqttFraming} applies {@code maxMessageBytes} first); MQTT
   * 3.1's client id bound, which Netty applies to 3.1 CONNECTs.
   */
  private static MqttDecoder newDecoder() {
    return new MqttDecoder(Integer.MAX_VALUE, ConnectRules.MQTT_3_1_MAX_CLIENT_ID_LENGTH);
  }
}

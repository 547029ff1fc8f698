package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PacketDecoder}: Netty's decoder, shared by the connections of a thread, on one whole
 * packet at a time.
 */
class PacketDecoderTest {

  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().firstContext();

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  /** Verifies that a PUBLISH decodes, and that its payload outlives the packet's own bytes. */
  @Test
  void aPublishKeepsItsPayloadAfterThePacketIsReleased() {
    // given
    ByteBuf packet = Unpooled.wrappedBuffer(RawMqtt.publish(0, "t/a", 0, null, bytes("hello")));

    // when
    MqttMessage message = PacketDecoder.decode(ctx, packet);
    packet.release();

    // then
    assertThat(message.decoderResult().isSuccess()).isTrue();
    MqttPublishMessage publish = (MqttPublishMessage) message;
    assertThat(publish.variableHeader().topicName()).isEqualTo("t/a");
    assertThat(publish.payload().toString(StandardCharsets.UTF_8)).isEqualTo("hello");
    publish.release();
  }

  /**
   * Verifies that a field running past the packet's end is a Malformed Packet (in a pipeline the
   * decoder would wait for more bytes), and that the thread's next packet decodes: the decoder that
   * failed is not used again.
   */
  @Test
  void aFieldPastTheEndIsMalformedAndTheNextPacketDecodes() {
    // given a PUBLISH whose topic claims 10 bytes of the 2 left
    ByteBuf truncated = Unpooled.wrappedBuffer(new byte[] {0x30, 4, 0, 10, 'a', 'b'});

    // when
    MqttMessage refused = PacketDecoder.decode(ctx, truncated);
    MqttMessage next = PacketDecoder.decode(ctx, Unpooled.wrappedBuffer(RawMqtt.PINGREQ));

    // then
    assertThat(refused.decoderResult().cause())
        .isInstanceOf(WireViolation.class)
        .hasMessageContaining("runs past the Remaining Length");
    assertThat(next.decoderResult().isSuccess()).isTrue();
    assertThat(next.fixedHeader().messageType()).isEqualTo(MqttMessageType.PINGREQ);
    truncated.release();
  }

  /** Verifies that a packet Netty refuses comes back as Netty refused it, and the next decodes. */
  @Test
  void nettysRefusalIsPassedOnAndTheNextPacketDecodes() {
    // given a PUBLISH with QoS 3 (Netty: "Illegal QOS Level")
    ByteBuf qos3 = Unpooled.wrappedBuffer(RawMqtt.publish(0x06, "t/a", 1, null, bytes("x")));

    // when
    MqttMessage refused = PacketDecoder.decode(ctx, qos3);
    MqttMessage next = PacketDecoder.decode(ctx, Unpooled.wrappedBuffer(RawMqtt.PINGREQ));

    // then
    assertThat(refused.decoderResult().isFailure()).isTrue();
    assertThat(refused.decoderResult().cause()).isNotInstanceOf(WireViolation.class);
    assertThat(next.decoderResult().isSuccess()).isTrue();
    qos3.release();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

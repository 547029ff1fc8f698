package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FrameRules} on the reason codes a client's MQTT 5 packets carry, every one of the 256
 * against the spec's own lists (written out here from the spec, where the rules take Netty's).
 */
class FrameRulesTest {

  /** A packet type's fixed-header byte, a body before its reason code, and the spec's list. */
  record ReasonCodes(String packet, int header, byte[] before, Set<Integer> defined) {
    @Override
    public String toString() {
      return packet;
    }
  }

  private static final Set<Integer> PUBACK_AND_PUBREC =
      Set.of(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99);

  private static final Set<Integer> PUBREL_AND_PUBCOMP = Set.of(0x00, 0x92);

  private static final byte[] PACKET_ID_1 = {0, 1};

  static Stream<ReasonCodes> packets() {
    return Stream.of(
        new ReasonCodes("PUBACK §3.4.2.1", 0x40, PACKET_ID_1, PUBACK_AND_PUBREC),
        new ReasonCodes("PUBREC §3.5.2.1", 0x50, PACKET_ID_1, PUBACK_AND_PUBREC),
        new ReasonCodes("PUBREL §3.6.2.1", 0x62, PACKET_ID_1, PUBREL_AND_PUBCOMP),
        new ReasonCodes("PUBCOMP §3.7.2.1", 0x70, PACKET_ID_1, PUBREL_AND_PUBCOMP),
        new ReasonCodes(
            "DISCONNECT §3.14.2.1",
            0xE0,
            new byte[0],
            Set.of(
                0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
                0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1,
                0xA2)));
  }

  /**
   * Verifies that of the 256 possible reason codes, exactly the ones the packet's section lists
   * pass, and every other is a Malformed Packet (§4.13) whose message names the packet and the
   * code.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("packets")
  void takesExactlyTheReasonCodesTheSpecLists(ReasonCodes packet) {
    Set<Integer> taken = new TreeSet<>();
    IntStream.range(0, 256)
        .forEach(
            code -> {
              WireViolation violation = check(packet, code);
              if (violation == null) {
                taken.add(code);
              } else {
                assertThat(WireViolation.codeOf(violation))
                    .isEqualTo(MqttDisconnectReasonCode.MALFORMED_PACKET);
                assertThat(violation)
                    .hasMessageContaining(String.format("reason code 0x%02X", code))
                    .hasMessageContaining(
                        packet.packet().substring(0, packet.packet().indexOf(' ')));
              }
            });
    assertThat(taken).containsExactlyInAnyOrderElementsOf(packet.defined());
  }

  private static WireViolation check(ReasonCodes packet, int code) {
    byte[] body = new byte[packet.before().length + 1];
    System.arraycopy(packet.before(), 0, body, 0, packet.before().length);
    body[body.length - 1] = (byte) code;
    List<Integer> misread = new ArrayList<>();
    return FrameRules.check(packet.header(), Unpooled.wrappedBuffer(body), 5, misread);
  }
}

package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WireTest {

  @Test
  void tcpWelcomeGivesTheTimeoutOnceTheLineIsComplete() {
    // given
    byte[] partial = "{\"type\":\"welcome\",\"session\":\"a\",\"heartbeat\":1,\"timeout\":1".getBytes(StandardCharsets.US_ASCII);
    byte[] whole = "{\"type\":\"welcome\",\"session\":\"a\",\"heartbeat\":1,\"timeout\":1.5}\n".getBytes(StandardCharsets.US_ASCII);

    // when / then
    assertThat(Wire.handshake(Transport.TCP, partial, partial.length, 1000)).isEqualTo(-1);
    assertThat(Wire.handshake(Transport.TCP, whole, whole.length, 1000)).isEqualTo(1500);
  }

  @Test
  void mqttConnackAcceptedGivesOneAndAHalfKeepAlives() {
    // given CONNACK, return code 0 (§3.2)
    byte[] connack = {0x20, 0x02, 0x00, 0x00};

    // when / then: keep-alive 2 s (1,500 ms rounded up), timeout 3 s (§3.1.2.10)
    assertThat(Wire.handshake(Transport.MQTT, connack, 4, 1500)).isEqualTo(3000);
  }

  @Test
  void mqttConnackRefusedIsAFailure() {
    byte[] connack = {0x20, 0x02, 0x00, 0x05};
    assertThatThrownBy(() -> Wire.handshake(Transport.MQTT, connack, 4, 1000)).hasMessageContaining("5");
  }

  @Test
  void mqttConnectIsAValidThreeOneOnePacket() {
    // when
    ByteBuffer b = Wire.mqttConnect("d-1", 30);

    // then: fixed header, remaining length, "MQTT", level 4, clean session, keep-alive, client id
    assertThat(b.remaining()).isEqualTo(2 + 10 + 2 + 3);
    assertThat(b.get(0)).isEqualTo((byte) 0x10);
    assertThat(b.get(1)).isEqualTo((byte) 15);
    assertThat(b.get(8)).isEqualTo((byte) 4);
    assertThat(b.get(9)).isEqualTo((byte) 0x02);
    assertThat(b.getShort(10)).isEqualTo((short) 30);
  }

  @Test
  void websocketCloseFrameIsFoundAfterOtherFrames() {
    // given a pong text frame, a ping frame, then close 4000 (unmasked server frames)
    byte[] pong = "{\"type\":\"pong\"}".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer in = ByteBuffer.allocate(64);
    in.put((byte) 0x81).put((byte) pong.length).put(pong).put((byte) 0x89).put((byte) 0);
    in.put((byte) 0x88).put((byte) 2).putShort((short) 4000).flip();
    Device d = new Device(0, "d", Transport.WEBSOCKET, true);

    // when / then
    assertThat(Wire.wsCloseFrame(d, in)).isTrue();
  }

  @Test
  void websocketFrameContinuingIntoTheNextReadIsSkipped() {
    // given a text frame of 20 bytes of which only 5 arrived
    Device d = new Device(0, "d", Transport.WEBSOCKET, true);
    ByteBuffer first = ByteBuffer.wrap(new byte[] {(byte) 0x81, 20, 'a', 'b', 'c', 'd', 'e'});
    ByteBuffer second = ByteBuffer.allocate(17);
    second.put(new byte[15]).put((byte) 0x88).put((byte) 0).flip();

    // when / then: the 0x88 inside the payload would not count, the one after it does
    assertThat(Wire.wsCloseFrame(d, first)).isFalse();
    assertThat(d.wsSkip).isEqualTo(15);
    assertThat(Wire.wsCloseFrame(d, second)).isTrue();
  }
}

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
    byte[] partial =
        "{\"type\":\"welcome\",\"session\":\"a\",\"heartbeat\":1,\"timeout\":1"
            .getBytes(StandardCharsets.US_ASCII);
    byte[] whole =
        "{\"type\":\"welcome\",\"session\":\"a\",\"heartbeat\":1,\"timeout\":1.5}\n"
            .getBytes(StandardCharsets.US_ASCII);

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
    assertThatThrownBy(() -> Wire.handshake(Transport.MQTT, connack, 4, 1000))
        .hasMessageContaining("5");
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

  @Test
  void udpHelloIsPaddedToCoverAnyWelcomeAndCarriesTheNonce() {
    // when
    String hello =
        StandardCharsets.US_ASCII
            .decode(Wire.udpHello("udp-123456", Wire.udpNonce(123_456), 30_000))
            .toString();

    // then: 160 bytes plus the nonce's length at least (docs/protocol.md, "Hellos are padded")
    io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject(hello);
    assertThat(hello.length()).isGreaterThanOrEqualTo(Wire.UDP_HELLO_BYTES + "n123456".length());
    assertThat(j.getString("type")).isEqualTo("hello");
    assertThat(j.getString("device")).isEqualTo("udp-123456");
    assertThat(j.getString("nonce")).isEqualTo("n123456");
    assertThat(j.getInteger("heartbeat")).isEqualTo(30);
  }

  @Test
  void udpNonceNamesTheDevice() {
    assertThat(Wire.udpNonceIndex(Wire.udpNonce(0))).isZero();
    assertThat(Wire.udpNonceIndex(Wire.udpNonce(999_999))).isEqualTo(999_999);
    assertThat(Wire.udpNonceIndex("boot-1")).isEqualTo(-1);
    assertThat(Wire.udpNonceIndex("n")).isEqualTo(-1);
    assertThat(Wire.udpNonceIndex(null)).isEqualTo(-1);
  }

  @Test
  void udpWelcomeGivesTicketSessionNonceAndTimeout() {
    // given the welcome of docs/protocol.md
    byte[] welcome =
        ("{\"type\":\"welcome\",\"session\":\"d0673b3100000001\",\"heartbeat\":30,\"timeout\":45,"
                + "\"ticket\":\"230OeXqRPyajd4sym-8AwQ\",\"nonce\":\"n7\"}")
            .getBytes(StandardCharsets.US_ASCII);

    // when
    Wire.UdpReply r = Wire.udpReply(welcome, welcome.length);

    // then
    assertThat(r)
        .isEqualTo(
            new Wire.UdpReply(
                "welcome", "n7", "230OeXqRPyajd4sym-8AwQ", "d0673b3100000001", 45_000));
  }

  @Test
  void udpPongByeAndGarbageAreTold() {
    byte[] pong = "{\"type\":\"pong\"}".getBytes(StandardCharsets.US_ASCII);
    byte[] bye =
        "{\"type\":\"bye\",\"reason\":\"TIMEOUT\",\"session\":\"s1\"}xx"
            .getBytes(StandardCharsets.US_ASCII);
    byte[] junk = "not json".getBytes(StandardCharsets.US_ASCII);

    assertThat(Wire.udpReply(pong, pong.length).type()).isEqualTo("pong");
    assertThat(Wire.udpReply(bye, bye.length - 2).session()).isEqualTo("s1");
    assertThat(Wire.udpReply(bye, bye.length - 2).type()).isEqualTo("bye");
    assertThat(Wire.udpReply(junk, junk.length)).isNull();
  }

  @Test
  void udpPingAndByeCarryDeviceAndTicket() {
    String ping = StandardCharsets.US_ASCII.decode(Wire.udpPing("d", "T")).toString();
    String bye = StandardCharsets.US_ASCII.decode(Wire.udpBye("d", "T")).toString();
    assertThat(ping).isEqualTo("{\"type\":\"ping\",\"device\":\"d\",\"ticket\":\"T\"}");
    assertThat(bye).isEqualTo("{\"type\":\"bye\",\"device\":\"d\",\"ticket\":\"T\"}");
  }
}

package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DeviceCommandsTest {

  /**
   * Verifies that a command frame is answered with status 200, its id and its own payload
   * (docs/protocol.md, "Commands"), and that other frames are not answered.
   */
  @Test
  void aCommandIsAnsweredWithItsIdAndPayload() {
    // given
    Counters counters = new Counters();
    DeviceCommands commands = new DeviceCommands(counters);

    // when
    JsonObject reply =
        commands.replyTo(
            "{\"type\":\"command\",\"id\":\"4f99d07000000001\",\"name\":\"bench\",\"payload\":{\"d\":\"x-1\"}}");
    JsonObject none = commands.replyTo("{\"type\":\"pong\"}");

    // then
    assertThat(reply.encode())
        .isEqualTo(
            "{\"type\":\"reply\",\"id\":\"4f99d07000000001\",\"status\":200,\"payload\":{\"d\":\"x-1\"}}");
    assertThat(none).isNull();
    assertThat(counters.commandsAnswered).isEqualTo(1);
  }

  /** Verifies the SUBSCRIBE packet to the device's command topics (MQTT 3.1.1 §3.8). */
  @Test
  void mqttDevicesSubscribeToTheirRequestTopics() {
    // when
    ByteBuffer b = DeviceCommands.mqttSubscribe("d-7");

    // then
    String filter = "commands/d-7/req/#";
    assertThat(b.remaining()).isEqualTo(2 + 2 + 2 + filter.length() + 1);
    assertThat(b.get(0)).isEqualTo((byte) 0x82);
    assertThat(b.get(1)).isEqualTo((byte) (2 + 2 + filter.length() + 1));
    assertThat(new String(b.array(), 6, filter.length(), StandardCharsets.UTF_8)).isEqualTo(filter);
    assertThat(b.get(b.limit() - 1)).isEqualTo((byte) 0);
  }

  /** Verifies a reply over 125 bytes takes the 16-bit length form (RFC 6455 §5.2). */
  @Test
  void longWebSocketRepliesUseTheExtendedLength() {
    // when
    byte[] frame = DeviceCommands.wsText(new byte[300]);

    // then
    assertThat(frame).hasSize(4 + 4 + 300);
    assertThat(frame[1]).isEqualTo((byte) (0x80 | 126));
    assertThat(((frame[2] & 0xff) << 8) | (frame[3] & 0xff)).isEqualTo(300);
  }
}

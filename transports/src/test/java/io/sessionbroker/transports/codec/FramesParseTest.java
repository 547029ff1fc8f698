package io.sessionbroker.transports.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies that {@link Frames#parse} decodes a JSON object and refuses everything else with
 * bad_frame.
 */
@Timeout(10)
class FramesParseTest {

  @Test
  void parsesAJsonObjectWithAStringType() throws Exception {
    // when
    var frame = Frames.parse(Buffer.buffer("{\"type\":\"hello\",\"device\":\"d\"}"));

    // then
    assertThat(Frames.type(frame)).isEqualTo("hello");
    assertThat(frame.getString("device")).isEqualTo("d");
  }

  /**
   * Verifies that bytes that are not UTF-8 are bad_frame, also those Jackson's byte parser lets
   * through (RFC 3629 §3: an overlong form, a code point beyond U+10FFFF).
   */
  @ParameterizedTest
  @ValueSource(strings = {"c0af", "e080af", "f5808080", "80", "eda080"})
  void refusesBytesThatAreNotUtf8(String hex) {
    byte[] invalid = java.util.HexFormat.of().parseHex(hex);
    Buffer frame =
        Buffer.buffer("{\"type\":\"ping\",\"x\":\"").appendBytes(invalid).appendString("\"}");
    assertThatThrownBy(() -> Frames.parse(frame))
        .isInstanceOf(FrameException.class)
        .extracting(e -> ((FrameException) e).code())
        .isEqualTo(Frames.BAD_FRAME);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "not json", "[1]", "\"hello\"", "{\"type\":1}", "{\"type\":\"\"}", "{}"})
  void refusesAnythingButAnObjectWithAType(String text) {
    assertThatThrownBy(() -> Frames.parse(Buffer.buffer(text)))
        .isInstanceOf(FrameException.class)
        .extracting(e -> ((FrameException) e).code())
        .isEqualTo(Frames.BAD_FRAME);
  }
}

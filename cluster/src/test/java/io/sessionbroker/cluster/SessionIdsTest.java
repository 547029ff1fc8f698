package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies how session ids are shown and read back. */
class SessionIdsTest {

  /**
   * Verifies that an id is shown as 16 lower-case hex digits and parsed back, including the sign
   * bit.
   */
  @Test
  void formatsAsSixteenHexDigitsAndParsesBack() {
    assertThat(SessionIds.format(0xabcL)).isEqualTo("0000000000000abc");
    assertThat(SessionIds.parse("0000000000000abc")).isEqualTo(0xabcL);
    assertThat(SessionIds.parse(SessionIds.format(-2L))).isEqualTo(-2L);
  }

  /**
   * Verifies that text that is not a session id parses to -1: null, the wrong length, or not hex.
   */
  @Test
  void textThatIsNotASessionIdParsesToMinusOne() {
    assertThat(SessionIds.parse(null)).isEqualTo(-1);
    assertThat(SessionIds.parse("abc")).isEqualTo(-1);
    assertThat(SessionIds.parse("zzzzzzzzzzzzzzzz")).isEqualTo(-1);
  }

  /** Verifies that ids of one node share a prefix and count up in the low 32 bits. */
  @Test
  void idsOfOneNodeCountUpUnderOnePrefix() {
    SessionIds ids = new SessionIds();

    long first = ids.next();
    long second = ids.next();

    assertThat(first >>> 32).isEqualTo(second >>> 32);
    assertThat(second & 0xFFFF_FFFFL).isEqualTo((first & 0xFFFF_FFFFL) + 1);
  }
}

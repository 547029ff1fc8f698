package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verifies the documented close code of every close reason (RFC 6455 §7.4). */
@Timeout(10)
class CloseCodesTest {

  @Test
  void everyReasonTheBrokerSendsHasItsDocumentedCode() {
    assertThat(CloseCodes.of(CloseReason.CLIENT_CLOSED)).isEqualTo((short) 1000);
    assertThat(CloseCodes.of(CloseReason.SHUTDOWN)).isEqualTo((short) 1001);
    assertThat(CloseCodes.of(CloseReason.TIMEOUT)).isEqualTo((short) 4000);
    assertThat(CloseCodes.of(CloseReason.TAKEN_OVER)).isEqualTo((short) 4001);
    assertThat(CloseCodes.of(CloseReason.KICKED)).isEqualTo((short) 4002);
    assertThat(CloseCodes.of(CloseReason.PROTOCOL_ERROR)).isEqualTo((short) 4003);
  }

  @Test
  void privateCodesStayInTheRangeRfc6455ReservesForApplications() {
    for (CloseReason reason : CloseReason.values()) {
      short code = CloseCodes.of(reason);
      assertThat(code < 2000 || code >= 4000 && code <= 4999).as(reason.name()).isTrue();
    }
  }
}

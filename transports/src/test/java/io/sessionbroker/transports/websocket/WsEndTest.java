package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** How a WebSocket session ends, per reason ({@link WsEnd#goodbye}). */
class WsEndTest {

  /**
   * Verifies that a reason's end is built once (issue 17): the same instance for every close, with
   * the {@code bye} frame already encoded, its close code and the reason as the close frame's text.
   */
  @Test
  void aReasonsEndIsBuiltOnceWithItsByeEncodedAndItsCloseCode() {
    WsEnd timeout = WsEnd.goodbye(CloseReason.TIMEOUT);

    assertThat(WsEnd.goodbye(CloseReason.TIMEOUT)).isSameAs(timeout);
    assertThat(new JsonObject(timeout.lastFrame()))
        .isEqualTo(new JsonObject().put("type", "bye").put("reason", "TIMEOUT"));
    assertThat(timeout.closeCode()).isEqualTo(CloseCodes.TIMEOUT);
    assertThat(timeout.reasonText()).isEqualTo("TIMEOUT");
  }

  /**
   * Verifies that a session the device or the network ended gets no bye, only the close code of its
   * reason.
   */
  @Test
  void aSessionTheDeviceEndedGetsNoByeOnlyItsCloseCode() {
    WsEnd closed = WsEnd.goodbye(CloseReason.CLIENT_CLOSED);

    assertThat(closed.lastFrame()).isNull();
    assertThat(closed.reasonText()).isNull();
    assertThat(closed.closeCode()).isEqualTo(CloseCodes.NORMAL);
  }

  /** Verifies that an error's end names the error's code as the close frame's text. */
  @Test
  void anErrorsEndNamesItsCodeAsTheCloseText() {
    WsEnd end =
        new WsEnd(
            new JsonObject().put("type", "error").put("code", "bad_frame").put("message", "no"),
            CloseCodes.PROTOCOL_ERROR);

    assertThat(new JsonObject(end.lastFrame()).getString("code")).isEqualTo("bad_frame");
    assertThat(end.reasonText()).isEqualTo("bad_frame");
  }
}

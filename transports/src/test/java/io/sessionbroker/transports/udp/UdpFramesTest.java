package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Liveness;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.codec.FrameException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UdpFramesTest {

  /**
   * The promise of docs/protocol.md: a hello of 160 bytes always gets its welcome, whatever the
   * terms.
   */
  @Test
  void keepsEveryWelcomeWithinTheDocumentedPadding() {
    String longestNonce = "n".repeat(UdpFrames.MAX_NONCE_LENGTH);
    int[] awkwardMs = {1, 999, 1_001, 1_234, 86_400_000, Integer.MAX_VALUE};
    for (int heartbeatMs : awkwardMs) {
      for (int timeoutMs : awkwardMs) {
        Liveness liveness = new Liveness(heartbeatMs, timeoutMs);
        assertThat(UdpFrames.welcomeLength(liveness, null))
            .isLessThanOrEqualTo(UdpDevice.HELLO_BYTES);
        // A nonce is in the hello too, so the hello grows with it: pad to 160 + its length.
        assertThat(UdpFrames.welcomeLength(liveness, longestNonce) - longestNonce.length())
            .isLessThanOrEqualTo(UdpDevice.HELLO_BYTES);
      }
    }
  }

  @Test
  void sizesTheWelcomeExactlyAsItIsSent() {
    Liveness liveness = TableOptions.defaults().negotiate(30_000);
    String ticket = Tickets.encode(42, 43);
    JsonObject welcome =
        new JsonObject()
            .put("type", "welcome")
            .put("session", "85702b0f00000001")
            .put("heartbeat", 30)
            .put("timeout", 45)
            .put("ticket", ticket)
            .put("nonce", "boot-7");

    assertThat(UdpFrames.welcomeLength(liveness, "boot-7")).isEqualTo(welcome.toBuffer().length());
  }

  @Test
  void readsAnOptionalNonceOfUpTo64Characters() throws FrameException {
    assertThat(UdpFrames.nonce(new JsonObject())).isNull();
    assertThat(UdpFrames.nonce(new JsonObject().put("nonce", "boot-7"))).isEqualTo("boot-7");
    for (Object bad : new Object[] {"", "n".repeat(65), 7, new JsonObject()}) {
      assertThatThrownBy(() -> UdpFrames.nonce(new JsonObject().put("nonce", bad)))
          .isInstanceOf(FrameException.class);
    }
  }
}

package io.sessionbroker.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class BridgeWatchTest {

  @Test
  void findsTheDeviceOfABrokerFrameWithoutParsingIt() {
    String frame =
        new JsonObject()
            .put("type", "message")
            .put("address", "sessions.closed")
            .put(
                "body",
                new JsonObject()
                    .put("sessionId", "s-1")
                    .put("deviceId", "b1-4750")
                    .put("reason", "TIMEOUT"))
            .encode();

    assertThat(BridgeWatch.deviceIdIn(frame)).isEqualTo("b1-4750");
    assertThat(BridgeWatch.deviceIdIn("{\"type\":\"message\",\"address\":\"loadgen-sync\"}"))
        .isNull();
  }

  @Test
  void aProcessKeepsOnlyTheDevicesOfItsOwnRange() {
    assertThat(BridgeWatch.inRange("b1-4750", "b1-", 4750, 4750)).isTrue();
    assertThat(BridgeWatch.inRange("b1-9499", "b1-", 4750, 4750)).isTrue();
    assertThat(BridgeWatch.inRange("b1-4749", "b1-", 4750, 4750)).isFalse();
    assertThat(BridgeWatch.inRange("b1-9500", "b1-", 4750, 4750)).isFalse();
    assertThat(BridgeWatch.inRange("b2-5000", "b1-", 4750, 4750)).isFalse();
    assertThat(BridgeWatch.inRange("b1-rehearsal-5000", "b1-", 4750, 4750)).isFalse();
  }
}

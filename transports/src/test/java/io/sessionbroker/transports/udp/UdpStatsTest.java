package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UdpStatsTest {

  @Test
  void showsEveryCounterAndDropReasonInLowerCamelCase() {
    UdpStats stats = new UdpStats();
    stats.count(Counter.HELLO_REPEATED);
    stats.drop(Drop.BAD_TICKET);
    stats.drop(Drop.BAD_TICKET);
    stats.drop(Drop.OVERSIZED);

    JsonObject json = stats.toJson();

    assertThat(json.getLong("helloRepeated")).isEqualTo(1);
    assertThat(json.getLong("received")).isZero();
    assertThat(json.getJsonObject("dropped"))
        .isEqualTo(
            new JsonObject()
                .put("total", 3L)
                .put("oversized", 1L)
                .put("malformed", 0L)
                .put("unknownType", 0L)
                .put("badTicket", 2L)
                .put("badHello", 0L)
                .put("helloTooSmall", 0L)
                .put("authFailed", 0L)
                .put("badField", 0L)
                .put("flapping", 0L)
                .put("rateLimited", 0L));
    assertThat(json.fieldNames()).hasSize(Counter.values().length + 1);
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the TCP event bus bridge keeps the HTTP API's rule (issue 14): with {@code
 * http.adminToken} set, every frame must carry it as {@code "headers":{"authorization":"Bearer
 * <token>"}} — a subscription or request without it, or with another, is answered {@code
 * unauthorized} and does nothing — and the bridge may then be bound beyond loopback.
 */
@Timeout(60)
class BridgeTokenIT {

  private static final String TOKEN = "bridge-admin-token-for-tests";
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(conf -> conf.getJsonObject("http").put("adminToken", TOKEN));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  private static int bridgePort() {
    return harness.conf.getJsonObject("bridge").getInteger("port");
  }

  @Test
  void framesWithoutTheTokenOrWithAnotherAreRefused() throws Exception {
    try (BridgeClient none = new BridgeClient("127.0.0.1", bridgePort());
        BridgeClient wrong = new BridgeClient("127.0.0.1", bridgePort(), "not-the-token")) {
      for (BridgeClient client : new BridgeClient[] {none, wrong}) {
        assertThatThrownBy(
                () ->
                    client.request(Addresses.ADMIN_COUNT, new JsonObject(), Duration.ofSeconds(5)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("unauthorized");
      }
    }
  }

  @Test
  void framesWithTheTokenAreServed() throws Exception {
    try (BridgeClient client = new BridgeClient("127.0.0.1", bridgePort(), TOKEN)) {
      JsonObject count =
          client.request(Addresses.ADMIN_COUNT, new JsonObject(), Duration.ofSeconds(5));

      assertThat(count.containsKey("total")).isTrue();
    }
  }

  @Test
  void aBridgeBeyondLoopbackNeedsTheToken() {
    JsonObject withToken = harness.conf.copy();
    withToken.getJsonObject("bridge").put("host", "0.0.0.0");
    JsonObject without = withToken.copy();
    without.getJsonObject("http").put("adminToken", "");

    assertThat(BrokerHarness.config(withToken).bridge().host()).isEqualTo("0.0.0.0");
    assertThatThrownBy(() -> BrokerHarness.config(without))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http.adminToken");
  }
}

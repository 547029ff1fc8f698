package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies device authentication on raw TCP (docs/protocol.md, Authentication): with {@code auth.secret} set,
 * a hello must carry the device's token; a wrong or missing one is answered with {@code auth_failed}, the
 * connection closes, no session opens, and a {@code sessions.rejected} event names the device and its address.
 */
@Timeout(60)
class TcpAuthIT {

  private static final String SECRET = "tcp-auth-test-secret-0123456789";
  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start(conf -> conf.getJsonObject("auth").put("secret", SECRET));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  void helloWithTheDevicesTokenIsWelcomed() throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      device.send(hello("auth-good-1").put("token", harness.broker.config().auth().tokenFor("auth-good-1")));

      JsonObject welcome = device.read(WAIT);

      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(harness.await(Addresses.OPENED, "auth-good-1").getString("sessionId"))
          .isEqualTo(welcome.getString("session"));
    }
  }

  @Test
  void helloWithAnotherDevicesTokenIsAuthFailedAndRejected() throws Exception {
    String othersToken = harness.broker.config().auth().tokenFor("auth-other-1");
    assertAuthFailed("auth-wrong-1", hello("auth-wrong-1").put("token", othersToken));
  }

  @Test
  void helloWithoutATokenIsAuthFailedAndRejected() throws Exception {
    assertAuthFailed("auth-none-1", hello("auth-none-1"));
  }

  private static JsonObject hello(String device) {
    return new JsonObject().put("type", "hello").put("device", device).put("heartbeat", 30);
  }

  private static void assertAuthFailed(String deviceId, JsonObject hello) throws Exception {
    try (TcpDevice device = harness.tcpDevice()) {
      // when
      device.send(hello);

      // then the device is told, and the connection ends right after the error frame
      JsonObject error = device.read(WAIT);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo("auth_failed");
      assertThat(device.nextLine(WAIT)).as("what follows the error frame").isNull();
      // and the rejection names the device it claimed to be and where it came from
      String remote = device.localAddress();
      JsonObject rejected = harness.bridge.awaitMessage(Addresses.REJECTED,
          e -> remote.equals(e.getString("remote")), WAIT);
      assertThat(rejected.getString("code")).isEqualTo("auth_failed");
      assertThat(rejected.getString("deviceId")).isEqualTo(deviceId);
      assertThat(rejected.getString("transport")).isEqualTo("tcp");
      assertThat(rejected.getString("node")).isEqualTo(harness.broker.nodeId());
      assertThat(rejected.getString("message")).isEqualTo(error.getString("message"));
      assertThat(rejected.getLong("seq")).isNotNull();
      // and no session was opened for it
      JsonObject answer = RawBridge.ask(harness, Addresses.ADMIN_GET, new JsonObject().put("deviceId", deviceId));
      assertThat(answer.getInteger("failureCode")).as(answer.encode()).isEqualTo(404);
    }
  }
}

package io.sessionbroker.transports.tcp;

import static io.sessionbroker.transports.tcp.TcpFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies device authentication on raw TCP (docs/protocol.md, Authentication): with {@code
 * auth.secret} set, a hello must carry the device's token; a wrong or missing one is answered with
 * {@code auth_failed}, the connection closes, no session opens, and a {@code sessions.rejected}
 * event names the device and its address.
 */
@Timeout(60)
class TcpAuthIT {

  private static final String SECRET = "tcp-auth-test-secret-0123456789";
  private static TcpFixture fixture;

  @BeforeAll
  static void startTransport() throws Exception {
    fixture = new TcpFixture(new JsonObject(), DeviceAuth.withSecret(SECRET));
  }

  @AfterAll
  static void stopTransport() throws Exception {
    fixture.close();
  }

  @Test
  void helloWithTheDevicesTokenIsWelcomed() throws Exception {
    try (TcpDevice device = fixture.device()) {
      device.send(hello("auth-good-1").put("token", fixture.auth.tokenFor("auth-good-1")));

      JsonObject welcome = device.read(WAIT);

      assertThat(welcome.getString("type")).isEqualTo("welcome");
      assertThat(fixture.await(Addresses.OPENED, "auth-good-1").getString("sessionId"))
          .isEqualTo(welcome.getString("session"));
    }
  }

  @Test
  void helloWithAnotherDevicesTokenIsAuthFailedAndRejected() throws Exception {
    String othersToken = fixture.auth.tokenFor("auth-other-1");
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
    try (TcpDevice device = fixture.device()) {
      // when
      device.send(hello);

      // then the device is told, and the connection ends right after the error frame
      JsonObject error = device.read(WAIT);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("code")).isEqualTo("auth_failed");
      assertThat(device.nextLine(WAIT)).as("what follows the error frame").isNull();
      // and the rejection names the device it claimed to be and where it came from
      JsonObject rejected = fixture.awaitRejection(device);
      assertThat(rejected.getString("code")).isEqualTo("auth_failed");
      assertThat(rejected.getString("deviceId")).isEqualTo(deviceId);
      assertThat(rejected.getString("transport")).isEqualTo("tcp");
      assertThat(rejected.getString("node")).isEqualTo(fixture.tables.table.nodeId());
      // (the device learns only that it failed; the back end learns why)
      assertThat(error.getString("message"))
          .isEqualTo("the credentials do not authenticate device " + deviceId);
      assertThat(rejected.getString("message")).isEqualTo("the password is not the device token");
      assertThat(rejected.getLong("seq")).as(rejected.encode()).isNotNull();
      // and no session was opened for it
      assertThat(fixture.session(deviceId)).as("the session of " + deviceId).isNull();
    }
  }
}

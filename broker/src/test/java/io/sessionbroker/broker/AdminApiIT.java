package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the admin API's failures as an external client sees them through the TCP bridge
 * (docs/events.md, "Admin API"): a request the API cannot serve is answered with a failure frame
 * carrying code 400 (bad request) or 404 (no such session) and a message that says what was wrong —
 * never with a reply that looks like success, and never with silence.
 */
@Timeout(60)
class AdminApiIT {

  private static BrokerHarness harness;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  void listWithALimitOutsideOneToAThousandOrANegativeOffsetIs400() throws Exception {
    assertFails(Addresses.ADMIN_LIST, new JsonObject().put("limit", 0), 400, "limit");
    assertFails(Addresses.ADMIN_LIST, new JsonObject().put("limit", 1001), 400, "limit");
    assertFails(Addresses.ADMIN_LIST, new JsonObject().put("offset", -1), 400, "offset");
  }

  @Test
  void eventsWithMaxOutsideOneToAThousandOrANegativeFromSeqIs400() throws Exception {
    assertFails(Addresses.ADMIN_EVENTS, new JsonObject().put("max", 0), 400, "max");
    assertFails(Addresses.ADMIN_EVENTS, new JsonObject().put("max", 1001), 400, "max");
    assertFails(Addresses.ADMIN_EVENTS, new JsonObject().put("fromSeq", -1), 400, "fromSeq");
  }

  @Test
  void getOrKickNamingNeitherSessionNorDeviceIs400() throws Exception {
    assertFails(Addresses.ADMIN_GET, new JsonObject(), 400, "deviceId");
    assertFails(Addresses.ADMIN_KICK, new JsonObject().put("deviceId", " "), 400, "deviceId");
  }

  @Test
  void fieldOfTheWrongTypeIs400NamingTheField() throws Exception {
    assertFails(Addresses.ADMIN_LIST, new JsonObject().put("limit", "ten"), 400, "limit");
    assertFails(Addresses.ADMIN_EVENTS, new JsonObject().put("fromSeq", "start"), 400, "fromSeq");
    assertFails(Addresses.ADMIN_GET, new JsonObject().put("deviceId", 42), 400, "deviceId");
  }

  @Test
  void getOfADeviceOrSessionWithNoOpenSessionIs404() throws Exception {
    assertFails(
        Addresses.ADMIN_GET,
        new JsonObject().put("deviceId", "admin-never-1"),
        404,
        "admin-never-1");
    assertFails(
        Addresses.ADMIN_GET,
        new JsonObject().put("sessionId", "00000000000000aa"),
        404,
        "00000000000000aa");
  }

  @Test
  void kickOfADeviceWithNoOpenSessionRepliesNotKicked() throws Exception {
    JsonObject answer =
        RawBridge.ask(
            harness, Addresses.ADMIN_KICK, new JsonObject().put("deviceId", "admin-never-2"));

    assertThat(answer.containsKey("failureCode")).as(answer.encode()).isFalse();
    assertThat(answer.getJsonObject("body"))
        .isEqualTo(new JsonObject().put("kicked", false).put("target", "admin-never-2"));
  }

  private static void assertFails(String address, JsonObject request, int code, String named)
      throws Exception {
    JsonObject answer = RawBridge.ask(harness, address, request);

    assertThat(answer.getString("type"))
        .as("%s %s -> %s", address, request.encode(), answer.encode())
        .isEqualTo("err");
    assertThat(answer.getInteger("failureCode")).as(answer.encode()).isEqualTo(code);
    assertThat(answer.getString("message")).as(answer.encode()).contains(named);
  }
}

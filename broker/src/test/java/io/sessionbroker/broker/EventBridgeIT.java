package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the TCP event bus bridge's allow-list (docs/events.md, "Subscribing from outside the
 * JVM"): an external client may subscribe to the published events and send requests to {@code
 * sessions.admin.*}; nothing else — no subscription on a request address (where it would receive
 * requests meant for the broker), no message to an event address (where it would forge events), no
 * message to a node's internal addresses. Each refusal is an {@code err} frame with {@code
 * access_denied}, and a later request's reply proves that the refused frame had no other effect.
 */
@Timeout(60)
class EventBridgeIT {

  private static final JsonObject ACCESS_DENIED =
      new JsonObject().put("type", "err").put("message", "access_denied");
  private static BrokerHarness harness;
  private static int bridgePort;

  @BeforeAll
  static void startBroker() throws Exception {
    harness = BrokerHarness.start();
    bridgePort = harness.conf.getJsonObject("bridge").getInteger("port");
  }

  @AfterAll
  static void stopBroker() throws Exception {
    harness.close();
  }

  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void clientMaySubscribeToEveryPublishedEventAndSendToTheAdminApi() throws Exception {
    try (RawBridge client = new RawBridge(bridgePort)) {
      // given a client subscribed to the four event addresses; the reply to its request comes
      // first: no refusal
      for (String address :
          List.of(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND)) {
        client.send(register(address));
      }
      assertThat(
              client
                  .request(Addresses.ADMIN_COUNT, new JsonObject())
                  .getJsonObject("body")
                  .getInteger("total"))
          .isNotNull();

      // when a device opens, sends data and leaves
      try (TcpDevice device = harness.tcpDevice()) {
        device.hello("allowed-1", 30);
        device.send(new JsonObject().put("type", "data").put("payload", 7));
        device.send(new JsonObject().put("type", "bye"));

        // then the client receives each event, in order
        assertThat(nextOn(client, Addresses.OPENED).getString("deviceId")).isEqualTo("allowed-1");
        assertThat(nextOn(client, Addresses.INBOUND).getInteger("payload")).isEqualTo(7);
        assertThat(nextOn(client, Addresses.CLOSED).getString("reason")).isEqualTo("CLIENT_CLOSED");
      }
      // and when a connection is rejected, that too
      try (TcpDevice stranger = harness.tcpDevice()) {
        stranger.sendRaw("{\"type\":\"ping\"}\n");
        assertThat(nextOn(client, Addresses.REJECTED).getString("remote"))
            .isEqualTo(stranger.localAddress());
      }
    }
  }

  @Test
  void subscribingToARequestAddressIsDenied() throws Exception {
    String node = harness.broker.nodeId();
    for (String address :
        List.of(
            Addresses.ADMIN_KICK,
            Addresses.ADMIN_COUNT,
            "sessions.node." + node + ".admin.count",
            "sessions.node." + node + ".admin.kick",
            "sessions.node." + node + ".takeover",
            "mqtt.publish")) {
      try (RawBridge rogue = new RawBridge(bridgePort)) {
        // when a client subscribes to it, then asks for the count (which the broker answers through
        // its
        // own node's sessions.node.<id>.admin.count)
        rogue.send(register(address));
        rogue.send(
            new JsonObject()
                .put("type", "send")
                .put("address", Addresses.ADMIN_COUNT)
                .put("body", new JsonObject())
                .put("replyAddress", "rogue-1"));

        // then it is refused first, and the reply to its request is the next frame: it received no
        // request
        assertThat(rogue.next(WAIT))
            .as("answer to registering on %s", address)
            .isEqualTo(ACCESS_DENIED);
        JsonObject reply = rogue.next(WAIT);
        assertThat(reply.getString("address")).as(reply.encode()).isEqualTo("rogue-1");
        assertThat(reply.getJsonObject("body").getJsonObject("byNode").getInteger(node))
            .as("count answered by the broker, not by a subscriber: %s", reply.encode())
            .isNotNull();
      }
    }
  }

  @Test
  void sendingOrPublishingAnythingButAnAdminRequestIsDenied() throws Exception {
    JsonObject forgedClose =
        new JsonObject()
            .put("deviceId", "forged-1")
            .put("sessionId", "00000000000000ff")
            .put("reason", "KICKED");
    String node = harness.broker.nodeId();
    try (RawBridge rogue = new RawBridge(bridgePort);
        TcpDevice victim = harness.tcpDevice()) {
      // given a live session
      victim.hello("victim-1", 30);
      harness.await(Addresses.OPENED, "victim-1");

      // when a client tries to forge events and to reach a node's own kick
      rogue.send(
          new JsonObject()
              .put("type", "publish")
              .put("address", Addresses.CLOSED)
              .put("body", forgedClose));
      rogue.send(
          new JsonObject()
              .put("type", "send")
              .put("address", Addresses.CLOSED)
              .put("body", forgedClose));
      rogue.send(
          new JsonObject()
              .put("type", "publish")
              .put("address", Addresses.INBOUND)
              .put("body", new JsonObject().put("deviceId", "forged-1").put("payload", 1)));
      rogue.send(
          new JsonObject()
              .put("type", "send")
              .put("address", "sessions.node." + node + ".admin.kick")
              .put("body", new JsonObject().put("target", "victim-1")));

      // then each is refused
      for (int i = 0; i < 4; i++) {
        assertThat(rogue.next(WAIT))
            .as("answer to forbidden frame %d", i + 1)
            .isEqualTo(ACCESS_DENIED);
      }
      // and had no effect: the victim's session lives, and no subscriber saw a forged event before
      // the
      // reply to a later request
      JsonObject session =
          harness.request(Addresses.ADMIN_GET, new JsonObject().put("deviceId", "victim-1"));
      assertThat(session.getString("deviceId")).isEqualTo("victim-1");
      assertThat(harness.bridge.pending()).noneMatch(frame -> frame.encode().contains("forged-1"));
    }
  }

  private static JsonObject register(String address) {
    return new JsonObject().put("type", "register").put("address", address);
  }

  /** The body of the next frame, which must be a message published on {@code address}. */
  private static JsonObject nextOn(RawBridge client, String address) throws Exception {
    JsonObject frame = client.next(WAIT);
    assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("message");
    assertThat(frame.getString("address")).as(frame.encode()).isEqualTo(address);
    return frame.getJsonObject("body");
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.UdpTestDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the rehearsal of a mass expiry before a node is ready ({@code node.warmupCloses},
 * {@link Warmup}) runs its closes to the end on every transport the node listens on and leaves
 * nothing of them in the node: no session in its table, no event in its event log or on its bridge,
 * no datagram or connection in its counters.
 */
@Timeout(240) // the rehearsal alone took 18 s under a load of 10 on two cores
class WarmupIT {

  private static final List<String> DEVICES =
      List.of("warmup-it-tcp", "warmup-it-mqtt", "warmup-it-websocket", "warmup-it-udp");

  /**
   * Verifies that a broker started with {@code node.warmupCloses=1000} rehearsed 1,000 expiries on
   * each of its four transports (two rounds of 500 devices expiring at once per transport) and
   * 1,000 {@code NODE_LOST} closes, each counted as its event reached the rehearsal's own
   * subscriber; and that afterwards the node's table holds only the four devices this test
   * connects, one per transport, its event log holds only their opened events (the first with
   * sequence number 0: nothing was appended before it), and its counters only their traffic.
   */
  @Test
  void rehearsesEveryTransportsExpiriesAndLeavesTheNodeUntouched() throws Exception {
    // given: a node that rehearsed 1,000 closes per transport before it was ready
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("node")
                    .put("warmupCloses", 1_000)
                    .put("warmupMaxMs", 200_000))) { // room for a loaded machine
      Broker broker = harness.broker;

      assertThat(broker.warmup().closes())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  TransportName.TCP, 1_000,
                  TransportName.MQTT, 1_000,
                  TransportName.WEBSOCKET, 1_000,
                  TransportName.UDP, 1_000));
      assertThat(broker.warmup().nodeLostCloses()).isEqualTo(1_000);

      // when: the first real device of each transport says hello
      try (TcpDevice tcp = harness.tcpDevice();
          MqttDevice mqtt = new MqttDevice("127.0.0.1", broker.port(TransportName.MQTT));
          WsPeer websocket = new WsPeer(broker.port(TransportName.WEBSOCKET));
          UdpTestDevice udp =
              new UdpTestDevice(broker.port(TransportName.UDP), BrokerHarness.WAIT)) {
        tcp.hello(DEVICES.get(0), 30);
        JsonObject first = harness.await(Addresses.OPENED, DEVICES.get(0));
        assertThat(mqtt.connect(DEVICES.get(1), 30, BrokerHarness.WAIT)).isZero();
        harness.await(Addresses.OPENED, DEVICES.get(1));
        websocket.hello(DEVICES.get(2), 30);
        harness.await(Addresses.OPENED, DEVICES.get(2));
        udp.hello(DEVICES.get(3));
        harness.await(Addresses.OPENED, DEVICES.get(3));

        // then: the node's first event is the first of these, its log holds theirs alone
        assertThat(first.getLong("seq")).isZero();
        JsonArray events =
            harness
                .request(Addresses.ADMIN_EVENTS, new JsonObject().put("fromSeq", 0))
                .getJsonArray("events");
        assertThat(events.stream().map(e -> ((JsonObject) e).getJsonObject("body")))
            .extracting(body -> body.getString("deviceId"))
            .containsExactlyElementsOf(DEVICES);
        // its table holds these four sessions, one per transport
        JsonObject count = harness.request(Addresses.ADMIN_COUNT, new JsonObject());
        assertThat(count.getInteger("total")).as("%s", count).isEqualTo(4);
        assertThat(count.getJsonObject("byTransport").getMap())
            .as("%s", count)
            .containsExactlyInAnyOrderEntriesOf(
                Map.of("tcp", 1, "mqtt", 1, "websocket", 1, "udp", 1));
        // and its transports counted these devices' traffic alone
        JsonObject metrics =
            harness
                .request(Addresses.ADMIN_METRICS, new JsonObject())
                .getJsonObject("byNode")
                .getJsonObject(broker.nodeId());
        assertThat(metrics.getJsonObject("tcp").getLong("connections")).as("%s", metrics).isOne();
        assertThat(metrics.getJsonObject("udp").getLong("hello")).as("%s", metrics).isOne();
        assertThat(metrics.getJsonObject("udp").getLong("received")).as("%s", metrics).isOne();
      }
    }
  }

  /**
   * Verifies that a rehearsal cut short by {@code node.warmupMaxMs} is logged as what it is, the
   * bound at work ({@code warmup_cut}, INFO), not as a failure: on a 2-core machine the shipped
   * bound cuts the four-transport rehearsal in about half of the starts, and an operator must not
   * see a WARN at every start. The node starts all the same.
   */
  @Test
  void aRehearsalCutByItsBoundIsNoWarningAndTheNodeStarts() throws Exception {
    ch.qos.logback.classic.Logger warmupLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Warmup.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    warmupLog.addAppender(seen);
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("node")
                    .put("warmupCloses", 100_000)
                    .put("warmupMaxMs", 300))) { // far too short for 100,000 closes
      // then the node is up, the cut logged at INFO and nothing of the rehearsal at WARN
      try (TcpDevice tcp = harness.tcpDevice()) {
        tcp.hello("warmup-cut-it", 30);
        harness.await(Addresses.OPENED, "warmup-cut-it");
      }
      assertThat(seen.list)
          .filteredOn(e -> e.getMessage().startsWith("warmup_cut"))
          .singleElement()
          .extracting(ILoggingEvent::getLevel)
          .isEqualTo(Level.INFO);
      assertThat(seen.list)
          .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .extracting(ILoggingEvent::getFormattedMessage)
          .isEmpty();
    } finally {
      warmupLog.detachAppender(seen);
    }
  }
}

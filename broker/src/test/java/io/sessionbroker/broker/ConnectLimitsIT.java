package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the {@code limits} section on a whole broker with plain sockets: a connect over the
 * per-address rate is closed before any TLS handshake (the socket reads its end at once, where an
 * admitted one waits for the client's hello), on the TLS and plain ports of every TCP-based
 * listener; open connections per address are capped until one closes; refusals are counted in
 * {@code /metrics}.
 */
@Timeout(120)
class ConnectLimitsIT {

  @TempDir static Path dir;

  /**
   * Verifies that with one connection per address, the next connects are closed before the TLS
   * handshake: the broker has read nothing and says nothing, the socket just ends; on the TLS ports
   * of TCP, MQTT and WebSocket alike (the limits count every listener together). The admitted
   * connect, which sends nothing either, is still waiting for its ClientHello.
   */
  @Test
  void aConnectOverTheLimitIsClosedBeforeAnyTlsHandshake() throws Exception {
    TestPki pki = TestPki.create(dir, "limits-ca");
    TestPki.Issued server = pki.server("limits-server");
    try (BrokerHarness harness =
        start(
            conf -> {
              TlsListenersIT.withTls(conf, server);
              conf.getJsonObject("limits")
                  .put("connectsPerSecondPerAddress", 0)
                  .put("maxConnectionsPerAddress", 1);
            })) {
      // given a connect that holds the address's one slot: it waits for a TLS ClientHello
      try (Socket admitted = connect(harness.broker.tlsPort(TransportName.TCP))) {
        // when more come, on the TLS port of each listener
        for (TransportName listener :
            List.of(TransportName.TCP, TransportName.MQTT, TransportName.WEBSOCKET)) {
          try (Socket refused = connect(harness.broker.tlsPort(listener))) {
            // then each is closed without a word
            assertThat(endsAtOnce(refused)).as(listener + ": the refused connect ended").isTrue();
          }
        }
        // while the admitted one still waits for its handshake
        assertThat(endsAtOnce(admitted)).as("the admitted connect ended").isFalse();
      }
      assertThat(refused(harness, "address_connections")).isEqualTo(3.0);
    }
  }

  /**
   * Verifies that with two connections per address, a third is closed at once, and a device that
   * closes frees its slot for the next.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void openConnectionsPerAddressAreCappedUntilOneCloses() throws Exception {
    try (BrokerHarness harness =
        start(
            conf ->
                conf.getJsonObject("limits")
                    .put("connectsPerSecondPerAddress", 0)
                    .put("maxConnectionsPerAddress", 2))) {
      List<TcpDevice> devices = new ArrayList<>();
      try {
        // given two devices with a session each
        for (int i = 1; i <= 2; i++) {
          TcpDevice device = harness.tcpDevice();
          devices.add(device);
          assertThat(device.hello("cap-" + i, 30).getString("type")).isEqualTo("welcome");
        }
        // when a third connects from the same address, it is closed at once
        try (Socket third = connect(harness.broker.tcpPort())) {
          assertThat(endsAtOnce(third)).isTrue();
        }
        // then once one device has gone, the next gets in
        // (as a device does: it reconnects once it has seen its connection end, not on the bus
        // event,
        // which the broker publishes before it closes the socket)
        devices.get(0).send(new JsonObject().put("type", "bye"));
        assertThat(devices.get(0).closedByBroker(Duration.ofSeconds(5))).isTrue();
        harness.await(Addresses.CLOSED, "cap-1");
        // and the broker has finished closing it: the address's slot is freed as the close
        // completes, a few microseconds after the FIN, so a device reconnecting within them is
        // refused too (a CI run did, once, under load)
        Awaitility.await().atMost(WAIT).until(() -> tcpConnections(harness) == 1);
        try (TcpDevice next = harness.tcpDevice()) {
          assertThat(next.hello("cap-3", 30).getString("type")).isEqualTo("welcome");
          next.send(new JsonObject().put("type", "bye"));
          harness.await(Addresses.CLOSED, "cap-3");
        }
        devices.get(1).send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "cap-2");
      } finally {
        for (TcpDevice device : devices) {
          device.close();
        }
      }
      assertThat(refused(harness, "address_connections")).isEqualTo(1.0);
    }
  }

  /** The broker's open TCP connections, as {@code sessions.admin.metrics} counts them. */
  private static int tcpConnections(BrokerHarness harness) throws Exception {
    JsonObject byNode =
        harness.request(Addresses.ADMIN_METRICS, new JsonObject()).getJsonObject("byNode");
    return byNode
        .getJsonObject(byNode.fieldNames().iterator().next())
        .getJsonObject("tcp")
        .getInteger("connections");
  }

  /**
   * Verifies that with one connect per second per address, a second connect right after the first
   * is closed at once, and counted.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aConnectOverTheAddressRateIsClosedAtOnce() throws Exception {
    try (BrokerHarness harness =
        start(conf -> conf.getJsonObject("limits").put("connectsPerSecondPerAddress", 1))) {
      try (TcpDevice first = harness.tcpDevice();
          Socket second = connect(harness.broker.tcpPort())) {
        assertThat(endsAtOnce(second)).isTrue();
        assertThat(first.hello("rate-1", 30).getString("type")).isEqualTo("welcome");
        first.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "rate-1");
      }
      assertThat(refused(harness, "address_rate")).isEqualTo(1.0);
    }
  }

  private static BrokerHarness start(Consumer<JsonObject> tweak) throws Exception {
    return BrokerHarness.start(tweak);
  }

  private static Socket connect(int port) throws Exception {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return socket;
  }

  /**
   * Whether the broker ends the connection without being sent anything: true when the socket reads
   * its end (or a reset) within a second, false when it is still waiting for us then.
   */
  private static boolean endsAtOnce(Socket socket) throws Exception {
    socket.setSoTimeout(1_000);
    try {
      return socket.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  /** {@code sessionbroker_connects_refused_total} for {@code reason}, from {@code /metrics}. */
  private static double refused(BrokerHarness harness, String reason) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + harness.broker.httpPort() + "/metrics"))
                    .timeout(WAIT)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return response
        .body()
        .lines()
        .filter(
            line ->
                line.startsWith("sessionbroker_connects_refused_total{")
                    && line.contains("reason=\"" + reason + "\""))
        .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no refused " + reason + " in " + response.body()));
  }
}

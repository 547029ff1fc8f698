package io.sessionbroker.broker;

import static io.sessionbroker.broker.EventRecorder.on;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies commands across a three-node cluster of real processes ({@link ThreeNodes}): a back end
 * on one node's bridge or HTTP reaches a device held by another node (routed through the directory
 * to the holder's own address), gets its answer back, and a takeover on a third node while the
 * command waits fails it with 503 at once.
 */
@Timeout(240)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandsClusterIT {

  private static final Duration WAIT = ThreeNodes.WAIT;
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;

  private ThreeNodes cluster;
  private EventRecorder events;
  private ClusterContract contract;

  @BeforeAll
  void startThreeNodes() throws Exception {
    cluster = ThreeNodes.start("commands-it");
    events = new EventRecorder(cluster.bridgePort(A), Addresses.OPENED, Addresses.CLOSED);
    contract = cluster.contract(A, B);
  }

  @AfterAll
  void stopNodes() throws Exception {
    try {
      if (contract != null) {
        cluster.stopAndFinish(contract);
      }
    } finally {
      if (contract != null) {
        contract.close();
      }
      if (events != null) {
        events.close();
      }
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /**
   * A device opened on {@code device} with {@code id}, and a 30 s {@code reboot} command sent to it
   * through node A that the device has received and does not answer.
   */
  private CompletableFuture<JsonObject> rebootWaitingFor(TcpDevice device, String id)
      throws Exception {
    device.hello(id, 30);
    events.await(on(Addresses.OPENED, id), 1, WAIT);
    CompletableFuture<JsonObject> pending =
        send(new JsonObject().put("deviceId", id).put("name", "reboot").put("timeoutMs", 30_000));
    device.read(WAIT);
    return pending;
  }

  /** The command failed with 503 naming {@code reason}, well before its 30 s timeout. */
  private static void assertFailsSoonWith503(
      CompletableFuture<JsonObject> pending, long start, String reason) throws Exception {
    JsonObject reply = pending.get(40, TimeUnit.SECONDS);
    assertThat(reply.getInteger("failureCode")).isEqualTo(503);
    assertThat(reply.getString("message")).contains(reason);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
  }

  private CompletableFuture<JsonObject> send(JsonObject command) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return cluster.admin.exchange(Addresses.COMMAND, command, Duration.ofSeconds(40));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static void answer(TcpDevice device, JsonObject command, Object payload)
      throws Exception {
    device.send(
        new JsonObject()
            .put("type", "reply")
            .put("id", command.getString("id"))
            .put("status", 200)
            .put("payload", payload));
  }

  /**
   * Verifies that a command sent through node A's bridge to a device on node C, and one sent to
   * node B's HTTP API, reach the device and bring its answers back.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aCommandReachesADeviceOnAnotherNodeAndItsAnswerComesBack() throws Exception {
    try (TcpDevice device = cluster.tcp(C)) {
      // given
      device.hello("cluster-cmd-1", 30);
      events.await(on(Addresses.OPENED, "cluster-cmd-1"), 1, WAIT);

      // when: through the bridge of node A
      CompletableFuture<JsonObject> viaBridge =
          send(new JsonObject().put("deviceId", "cluster-cmd-1").put("name", "reboot"));
      answer(device, device.read(WAIT), "from C");
      // and through the HTTP API of node B
      CompletableFuture<HttpResponse<String>> viaHttp =
          HttpClient.newHttpClient()
              .sendAsync(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + cluster.port("http", B)
                                  + "/api/devices/cluster-cmd-1/commands/read-config"))
                      .POST(HttpRequest.BodyPublishers.ofString("{\"all\":true}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      JsonObject second = device.read(WAIT);
      answer(device, second, second.getValue("payload"));

      // then
      assertThat(viaBridge.get(40, TimeUnit.SECONDS).getJsonObject("body"))
          .isEqualTo(new JsonObject().put("status", 200).put("payload", "from C"));
      HttpResponse<String> http = viaHttp.get(40, TimeUnit.SECONDS);
      assertThat(http.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(http.body()))
          .isEqualTo(
              new JsonObject()
                  .put("status", 200)
                  .put("payload", new JsonObject().put("all", true)));
    }
    events.await(on(Addresses.CLOSED, "cluster-cmd-1"), 1, WAIT);
  }

  /**
   * Verifies that a device taking its session over to node B while a command for its session on
   * node C waits fails the command with 503 at once, not at its 30 s timeout.
   */
  @Test
  @ExpectCloses({CloseReason.TAKEN_OVER, CloseReason.CONNECTION_LOST})
  void aTakeoverOnAnotherNodeFailsTheCommandInFlightWith503AtOnce() throws Exception {
    try (TcpDevice onC = cluster.tcp(C);
        TcpDevice onB = cluster.tcp(B)) {
      // given
      CompletableFuture<JsonObject> pending = rebootWaitingFor(onC, "cluster-cmd-2");

      // when
      long start = System.nanoTime();
      onB.hello("cluster-cmd-2", 30);

      // then
      assertFailsSoonWith503(pending, start, "TAKEN_OVER");
    }
    events.await(on(Addresses.CLOSED, "cluster-cmd-2"), 2, WAIT);
  }

  /**
   * Verifies that a command waiting for a device on node C fails with 503 soon after C crashes (its
   * sessions are announced NODE_LOST then), not when its 30 s timeout and the entry node's grace
   * have passed with a 504.
   */
  @Test
  @ExpectCloses(CloseReason.NODE_LOST)
  void aCommandWaitingForACrashedNodeFailsWith503Soon() throws Exception {
    try (TcpDevice onC = cluster.tcp(C)) {
      // given
      CompletableFuture<JsonObject> pending = rebootWaitingFor(onC, "cluster-cmd-crash");

      // when
      long start = System.nanoTime();
      cluster.nodes[C].kill();

      // then
      assertFailsSoonWith503(pending, start, "NODE_LOST");
      events.await(on(Addresses.CLOSED, "cluster-cmd-crash"), 1, WAIT);
    } finally {
      cluster.restart(C);
    }
  }

  /**
   * Verifies that a one-way command through node A's HTTP API to a device on node C is counted by A
   * as {@code accepted}, not {@code answered} (the holder's 202 crosses the bus as a copy).
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void aOneWayCommandToAnotherNodeIsCountedAccepted() throws Exception {
    try (TcpDevice onC = cluster.tcp(C)) {
      // given
      onC.hello("cluster-cmd-oneway", 30);
      events.await(on(Addresses.OPENED, "cluster-cmd-oneway"), 1, WAIT);
      String before = metricsOf(A);

      // when
      HttpResponse<String> sent =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + cluster.port("http", A)
                                  + "/api/devices/cluster-cmd-oneway/commands/blink?oneWay=true"))
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      onC.read(WAIT);

      // then
      assertThat(sent.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(sent.body()).getInteger("status")).isEqualTo(202);
      String after = metricsOf(A);
      assertThat(commands(after, "accepted")).isEqualTo(commands(before, "accepted") + 1);
      assertThat(commands(after, "answered")).isEqualTo(commands(before, "answered"));
    }
    events.await(on(Addresses.CLOSED, "cluster-cmd-oneway"), 1, WAIT);
  }

  private String metricsOf(int node) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + cluster.port("http", node) + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static double commands(String metrics, String outcome) {
    Matcher line =
        Pattern.compile(
                "(?m)^sessionbroker_commands_total\\{[^}]*outcome=\""
                    + outcome
                    + "\"[^}]*\\} (\\S+)$")
            .matcher(metrics);
    return line.find() ? Double.parseDouble(line.group(1)) : 0;
  }

  /** Verifies that a command to a device no node holds fails with 404. */
  @Test
  void aCommandToADeviceNoNodeHoldsFailsWith404() throws Exception {
    JsonObject reply =
        send(new JsonObject().put("deviceId", "cluster-cmd-nobody").put("name", "reboot"))
            .get(40, TimeUnit.SECONDS);

    assertThat(reply.getInteger("failureCode")).isEqualTo(404);
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures the time from losing node C to the last {@code NODE_LOST} event seen on node A's bridge,
 * for {@code -Dsessions=N} TCP sessions on C. Skipped unless {@code sessions} is set, so CI stays
 * fast:
 *
 * <pre>
 * mvn -B -pl broker -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=NodeLossTimeIT -Dsessions=10000 [-Dloss=freeze]
 * </pre>
 *
 * {@code -Dloss=kill} (default) sends SIGKILL: the kernel resets C's sockets, so on one host the
 * others notice at once. {@code -Dloss=freeze} sends SIGSTOP and never resumes: like a host that
 * lost power or network, only the missing heartbeats ({@code hazelcast.max.no.heartbeat.seconds})
 * reveal it. {@code -Dtransport=udp} opens UDP sessions instead of TCP ones (for more than the
 * ~19,900 connections a process holds under an open-file limit of 20,000). {@code -Dwarmup=N} first
 * loses C once with N TCP sessions and starts it again, so that the survivors have run a node
 * loss's code before the measured one, as nodes that have been up for a while have (without it the
 * three JVMs are a minute old, and compiling what the loss runs first takes much of the two cores).
 * {@code -Dloss=stop} stops C gracefully (SIGTERM) instead and measures the same for its {@code
 * SHUTDOWN} closes, printing C's log lines that time the stop's phases ({@code broker_stopping …
 * in_ms}: the sessions ended and their closes settled; {@code withheld_settled}: directory marks,
 * closes into the log, releases; {@code shutdown_drained}). The event contract watches node A; the
 * survivors are stopped gracefully at the end.
 */
@Timeout(600)
@EnabledIfSystemProperty(named = "sessions", matches = "\\d+")
class NodeLossTimeIT {

  /** The stopping node's log lines that time the phases of its stop ({@code -Dloss=stop}). */
  private static final List<String> STOP_PHASES =
      List.of(
          "broker_stopping sessions_closed=\\d+ in_ms=\\d+",
          "withheld_settled after_merge=false .*",
          "shutdown_drained .*");

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  @ExpectCloses({CloseReason.NODE_LOST, CloseReason.SHUTDOWN})
  void measuresTheTimeFromLosingANodeToItsLastNodeLostEvent() throws Exception {
    int sessions = Integer.getInteger("sessions");
    boolean freeze = "freeze".equals(System.getProperty("loss", "kill"));
    boolean udp = "udp".equals(System.getProperty("transport", "tcp"));
    boolean stop = "stop".equals(System.getProperty("loss", "kill"));
    List<TcpDevice> devices = new ArrayList<>();
    List<DatagramSocket> sockets = new ArrayList<>();
    try (ThreeNodes cluster = ThreeNodes.start("node-loss-time", jvm());
        EventRecorder onA =
            new EventRecorder(cluster.bridgePort(0), Addresses.OPENED, Addresses.CLOSED);
        ClusterContract contract = cluster.contract(0)) {
      int warmup = Integer.getInteger("warmup", 0);
      if (warmup > 0) {
        warmUp(cluster, onA, warmup);
        // the warm-up's events confirmed now: the ring (100,000) need not hold them at the end too
        contract.settle();
      }
      // given: N sessions on C (TCP hellos pipelined: the welcomes wait in the socket buffers;
      // UDP hellos from a few sockets, a thousand at a time)
      List<EventRecorder.Event> opened;
      if (udp) {
        opened = openUdp(cluster, onA, sessions, sockets);
      } else {
        opened = openTcp(cluster, onA, "m-", sessions, devices);
      }
      Set<String> sessionIds = new HashSet<>();
      opened.forEach(e -> sessionIds.add(e.body().getString("sessionId")));
      Predicate<EventRecorder.Event> lostClose =
          e ->
              e.address().equals(Addresses.CLOSED)
                  && sessionIds.contains(e.body().getString("sessionId"));

      // when
      long lostAt = System.nanoTime();
      System.out.printf("node_loss_at epoch_ms=%d%n", System.currentTimeMillis());
      if (stop) {
        assertThat(cluster.nodes[2].terminate(Duration.ofMinutes(2))).isEqualTo(0);
        System.out.printf(
            "node_stop_exit_ms=%d%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt));
      } else if (freeze) {
        cluster.nodes[2].freeze();
      } else {
        cluster.nodes[2].kill();
      }

      // then
      List<EventRecorder.Event> closed = onA.await(lostClose, sessions, Duration.ofMinutes(2));
      long first =
          closed.stream().mapToLong(EventRecorder.Event::receivedNanos).min().orElseThrow()
              - lostAt;
      long last =
          closed.stream().mapToLong(EventRecorder.Event::receivedNanos).max().orElseThrow()
              - lostAt;
      System.out.printf(
          "node_loss_time loss=%s transport=%s sessions=%d first_node_lost_ms=%d"
              + " last_node_lost_ms=%d%n",
          System.getProperty("loss", "kill"),
          udp ? "udp" : "tcp",
          sessions,
          TimeUnit.NANOSECONDS.toMillis(first),
          TimeUnit.NANOSECONDS.toMillis(last));
      if (stop) {
        for (String phase : STOP_PHASES) {
          try {
            System.out.println(cluster.nodes[2].awaitLog(Pattern.compile(phase), WAIT).group());
          } catch (RuntimeException absent) { // C has exited: its log has all it will have
            System.out.println("not logged: " + phase);
          }
        }
      } else {
        assertThat(cluster.awaitAnnounced(2, Duration.ofMinutes(1))).isEqualTo(sessions);
      }
      List<EventRecorder.Event> all = onA.matching(e -> e.address().equals(Addresses.CLOSED));
      String reason = stop ? "SHUTDOWN" : "NODE_LOST";
      assertThat(all).hasSize(sessions + warmup);
      assertThat(all.stream().filter(lostClose.negate())) // the warm-up's
          .allMatch(e -> e.body().getString("reason").equals("NODE_LOST"));
      assertThat(all.stream().filter(lostClose))
          .allMatch(e -> e.body().getString("reason").equals(reason));
      assertThat(all.stream().filter(lostClose).map(e -> e.body().getString("sessionId")))
          .hasSize(sessions)
          .doesNotHaveDuplicates();
      if (freeze) {
        cluster.nodes[2].kill(); // a frozen process would never act on SIGTERM
      }
      cluster.stopAndFinish(contract);
    } finally {
      for (TcpDevice device : devices) {
        device.close();
      }
      sockets.forEach(DatagramSocket::close);
    }
  }

  /**
   * Opens {@code sessions} TCP sessions on C, devices {@code prefix0}, {@code prefix1}, …; returns
   * their opened events.
   */
  private static List<EventRecorder.Event> openTcp(
      ThreeNodes cluster, EventRecorder onA, String prefix, int sessions, List<TcpDevice> devices)
      throws Exception {
    for (int i = 0; i < sessions; i++) {
      TcpDevice device = cluster.tcp(2);
      devices.add(device);
      device.send(
          new JsonObject().put("type", "hello").put("device", prefix + i).put("heartbeat", 300));
    }
    return onA.await(opened(prefix), sessions, Duration.ofMinutes(5));
  }

  private static Predicate<EventRecorder.Event> opened(String prefix) {
    return e -> e.address().equals(Addresses.OPENED) && e.deviceId().startsWith(prefix);
  }

  /**
   * Loses C once with {@code sessions} TCP sessions on it (SIGKILL, then every close on A's
   * bridge), and starts it again with the same JVM options.
   */
  private static void warmUp(ThreeNodes cluster, EventRecorder onA, int sessions) throws Exception {
    List<TcpDevice> devices = new ArrayList<>();
    try {
      Set<String> warm = new HashSet<>();
      openTcp(cluster, onA, "w-", sessions, devices)
          .forEach(e -> warm.add(e.body().getString("sessionId")));
      cluster.nodes[2].kill();
      onA.await(
          e ->
              e.address().equals(Addresses.CLOSED)
                  && warm.contains(e.body().getString("sessionId")),
          sessions,
          Duration.ofMinutes(2));
      assertThat(cluster.awaitAnnounced(2, Duration.ofMinutes(1))).isEqualTo(sessions);
    } finally {
      for (TcpDevice device : devices) {
        device.close();
      }
    }
    cluster.restart(2, jvm());
    System.out.printf("node_loss_warmed_up sessions=%d%n", sessions);
  }

  /**
   * Opens {@code sessions} UDP sessions on C from four sockets (a UDP session costs the broker no
   * descriptor, so one node can hold more than the ~19,900 TCP connections its open-file limit
   * allows): a thousand hellos, then wait for their opens, and so on. Hellos carry a pad, since the
   * broker answers (and opens for) no hello shorter than its welcome.
   */
  private static List<EventRecorder.Event> openUdp(
      ThreeNodes cluster, EventRecorder onA, int sessions, List<DatagramSocket> sockets)
      throws Exception {
    for (int s = 0; s < 4; s++) {
      sockets.add(new DatagramSocket(0, InetAddress.getLoopbackAddress()));
    }
    InetSocketAddress target =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), cluster.port("udp", 2));
    String pad = "x".repeat(200);
    List<EventRecorder.Event> opened = List.of();
    for (int from = 0; from < sessions; from += 1_000) {
      int to = Math.min(sessions, from + 1_000);
      for (int i = from; i < to; i++) {
        byte[] hello =
            new JsonObject()
                .put("type", "hello")
                .put("device", "u-" + i)
                .put("nonce", "n")
                .put("heartbeat", 300)
                .put("pad", pad)
                .encode()
                .getBytes(StandardCharsets.UTF_8);
        sockets.get(i % 4).send(new DatagramPacket(hello, hello.length, target));
      }
      opened = onA.await(opened("u-"), to, Duration.ofMinutes(2));
    }
    return opened;
  }

  /**
   * The nodes' JVM options; {@code -Djfr=DIR} adds a flight recording per node, written to the
   * existing directory DIR when the node stops (the survivors stop gracefully at the end).
   */
  private static List<String> jvm() {
    List<String> jvm = new ArrayList<>(List.of("-Xmx1g", "-XX:+UseParallelGC"));
    String jfr = System.getProperty("jfr");
    if (jfr != null && !jfr.isBlank()) {
      jvm.add(
          "-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
              + jfr); // a directory: each JVM writes a file named by its pid
    }
    return jvm;
  }
}

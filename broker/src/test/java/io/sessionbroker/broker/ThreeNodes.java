package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * Three broker processes on loopback forming one cluster, as in the README: one configuration file
 * with free ports, nodes started with {@code --port-offset 0}, {@code 10} and {@code 20}, a copy of
 * the shipped cluster.xml, and a {@code cluster.name} of their own (so parallel runs never join
 * each other), and an admin client on node A's bridge.
 */
final class ThreeNodes implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(20);

  /** {@code hazelcast.max.no.heartbeat.seconds} in the shipped conf/cluster.xml. */
  static final Duration SHIPPED_FAILURE_DETECTION = Duration.ofSeconds(5);

  private static final String NO_HEARTBEAT =
      "<property name=\"hazelcast.max.no.heartbeat.seconds\">%d</property>";
  static final List<String> JVM =
      List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /** The device token secret and the bridge's admin token of nodes in network namespaces. */
  private static final String SECRET = "three-nodes-device-secret-0123456789";

  private static final String ADMIN_TOKEN = "three-nodes-admin-token";

  final BrokerProcess[] nodes = new BrokerProcess[3];
  final Path conf;
  private final int base;

  /** The namespaces the nodes run in, or null: all three on this namespace's loopback. */
  private final NetworkNamespaces net;

  /** Settings every node gets in its environment ({@code BROKER_SECTION_KEY}), besides the file. */
  private final Map<String, String> env;

  private final DeviceAuth auth = DeviceAuth.withSecret(SECRET);
  BridgeClient admin;

  private ThreeNodes(Path conf, int base, NetworkNamespaces net, Map<String, String> env) {
    this.conf = conf;
    this.base = base;
    this.net = net;
    this.env = env;
  }

  /** Starts the three nodes and waits until node A's admin API answers for all three. */
  static ThreeNodes start(String name) throws Exception {
    return start(name, JVM);
  }

  /** As {@link #start(String)}, with these JVM options for every node. */
  static ThreeNodes start(String name, List<String> jvm) throws Exception {
    return start(name, jvm, SHIPPED_FAILURE_DETECTION);
  }

  /**
   * As {@link #start(String, List)}, with Hazelcast removing a silent member after {@code
   * failureDetection} instead of the shipped 5 s (a node that dies is noticed at once either way:
   * the kernel resets its connections).
   */
  static ThreeNodes start(String name, List<String> jvm, Duration failureDetection)
      throws Exception {
    return start(name, jvm, failureDetection, null, Map.of());
  }

  /** As {@link #start(String, List)}, with these settings in every node's environment. */
  static ThreeNodes start(String name, List<String> jvm, Map<String, String> env) throws Exception {
    return start(name, jvm, SHIPPED_FAILURE_DETECTION, null, env);
  }

  /**
   * Starts the three nodes each in a namespace of {@code net}: Hazelcast and the event bus on its
   * cluster link, the TCP transport and the bridge on its device link (beyond loopback, so with
   * device tokens and an admin token), everything else on the namespace's own loopback.
   */
  static ThreeNodes start(String name, NetworkNamespaces net) throws Exception {
    return start(name, JVM, SHIPPED_FAILURE_DETECTION, net, Map.of());
  }

  private static ThreeNodes start(
      String name,
      List<String> jvm,
      Duration failureDetection,
      NetworkNamespaces net,
      Map<String, String> env)
      throws Exception {
    Path dir = Path.of("target", name + "-" + UUID.randomUUID()).toAbsolutePath();
    int base = freeBase();
    ThreeNodes cluster =
        new ThreeNodes(writeConf(dir, base, failureDetection, net), base, net, env);
    try {
      for (int i = 0; i < 3; i++) {
        cluster.nodes[i] = cluster.launch(i, jvm);
      }
      for (BrokerProcess node : cluster.nodes) {
        node.awaitReady(Duration.ofSeconds(90));
      }
      cluster.admin = cluster.bridge(0);
      cluster.awaitMembers(3);
      cluster.awaitPartitionsSafe();
      return cluster;
    } catch (Exception | AssertionError e) {
      // a node that was slow to start must not outlive the test (one kept UDP 7001 for the next)
      StringBuilder logs = new StringBuilder("the cluster did not start: " + e);
      for (int i = 0; i < 3; i++) {
        if (cluster.nodes[i] != null) {
          logs.append("\n--- node ").append(i).append(", its log's end:\n");
          logs.append(cluster.nodes[i].logTail(15));
        }
      }
      cluster.close();
      throw new IllegalStateException(logs.toString(), e);
    }
  }

  /**
   * Starts node {@code index} again (after it stopped) and waits until the cluster has three
   * members.
   */
  void restart(int index) throws Exception {
    nodes[index] = launch(index, JVM);
    nodes[index].awaitReady(Duration.ofSeconds(90));
    if (index == 0) {
      // the admin client's bridge went down with node A
      admin.close();
      admin = bridge(0);
    }
    awaitMembers(3);
    awaitPartitionsSafe();
  }

  /** As {@link #restart(int)}, node {@code index} (not A) with these JVM options. */
  void restart(int index, List<String> jvm) throws Exception {
    nodes[index] = launch(index, jvm);
    nodes[index].awaitReady(Duration.ofSeconds(90));
    awaitMembers(3);
    awaitPartitionsSafe();
  }

  private BrokerProcess launch(int index, List<String> jvm) throws IOException {
    if (net == null) {
      return BrokerProcess.start(conf, 10 * index, jvm, List.of(), env);
    }
    Map<String, String> links = new HashMap<>(env);
    links.put("BROKER_TCP_HOST", net.deviceAddress(index));
    links.put("BROKER_BRIDGE_HOST", net.deviceAddress(index));
    links.put("BROKER_CLUSTER_HOST", net.clusterAddress(index));
    return BrokerProcess.start(conf, 10 * index, jvm, net.enter(index), links);
  }

  private static Path writeConf(
      Path dir, int base, Duration failureDetection, NetworkNamespaces net) throws IOException {
    Files.createDirectories(dir);
    String shipped = Files.readString(Path.of("..", "conf", "cluster.xml"));
    String clusterXml =
        shipped.replace(
            NO_HEARTBEAT.formatted(SHIPPED_FAILURE_DETECTION.toSeconds()),
            NO_HEARTBEAT.formatted(failureDetection.toSeconds()));
    if (!shipped.contains(NO_HEARTBEAT.formatted(SHIPPED_FAILURE_DETECTION.toSeconds()))) {
      throw new IllegalStateException("conf/cluster.xml no longer sets " + NO_HEARTBEAT);
    }
    if (net != null) {
      clusterXml = onClusterLinks(clusterXml, net);
    }
    Files.writeString(dir.resolve("cluster.xml"), clusterXml);
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    if (net != null) {
      // the TCP transport and the bridge listen on the device link, beyond loopback
      json.getJsonObject("auth")
          .put("secret", SECRET)
          .put("allowInsecure", true)
          .put("failureDelayMs", 0);
      json.getJsonObject("http").put("adminToken", ADMIN_TOKEN);
    }
    json.getJsonObject("table").put("minHeartbeatMs", 100).put("minTimeoutMs", 100);
    json.getJsonObject("tcp").put("port", base);
    // All the test's devices connect from 127.0.0.1, thousands at once in NodeLossTimeIT.
    json.getJsonObject("limits").put("connectsPerSecond", 0).put("connectsPerSecondPerAddress", 0);
    json.getJsonObject("mqtt").put("port", base + 1);
    json.getJsonObject("websocket").put("port", base + 2);
    json.getJsonObject("bridge").put("port", base + 3);
    json.getJsonObject("http").put("port", base + 4);
    // UDP too: left at 7001 (+ offset), it collided with another broker on this machine
    json.getJsonObject("udp").put("port", base + 5);
    json.getJsonObject("cluster")
        .put("configFile", dir.resolve("cluster.xml").toString())
        .put("name", dir.getFileName().toString());
    Path file = dir.resolve("broker.json");
    Files.writeString(file, json.encodePrettily());
    return file;
  }

  /**
   * The shipped member list and interface (127.0.0.1) replaced by the three cluster links, as
   * docs/cluster.md "Members on other hosts" tells an operator.
   */
  private static String onClusterLinks(String clusterXml, NetworkNamespaces net) {
    String member = "<member>127.0.0.1</member>";
    String loopback = "<interface>127.0.0.1</interface>";
    if (!clusterXml.contains(member) || !clusterXml.contains(loopback)) {
      throw new IllegalStateException("conf/cluster.xml no longer lists " + member + loopback);
    }
    StringBuilder members = new StringBuilder();
    for (int node = 0; node < 3; node++) {
      members.append("<member>").append(net.clusterAddress(node)).append(":5701</member>");
    }
    return clusterXml
        .replace(member, members)
        .replace(loopback, "<interface>" + net.clusterInterface() + "</interface>");
  }

  /** A base port whose six listeners are free at offsets 0, 10 and 20. */
  private static int freeBase() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      // below the ephemeral range: see BrokerHarness.freePort
      int candidate = ThreadLocalRandom.current().nextInt(10_000, EphemeralPorts.lowest() - 30);
      if (allFree(candidate)) {
        return candidate;
      }
    }
    throw new IOException("no free port range");
  }

  private static boolean allFree(int candidate) {
    for (int offset = 0; offset <= 20; offset += 10) {
      for (int listener = 0; listener < 5; listener++) {
        try (ServerSocket socket = new ServerSocket(candidate + offset + listener)) {
          socket.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
      try (DatagramSocket udp = new DatagramSocket(candidate + offset + 5)) {
        udp.setReuseAddress(true);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  int port(String listener, int node) {
    int shift =
        switch (listener) {
          case "tcp" -> 0;
          case "mqtt" -> 1;
          case "websocket" -> 2;
          case "bridge" -> 3;
          case "http" -> 4;
          case "udp" -> 5;
          default -> throw new IllegalArgumentException(listener);
        };
    return base + shift + 10 * node;
  }

  int bridgePort(int node) {
    return port("bridge", node);
  }

  /** Where the test reaches node {@code node}'s TCP transport and bridge. */
  String host(int node) {
    return net == null ? "127.0.0.1" : net.deviceAddress(node);
  }

  /** A new client of node {@code node}'s bridge (with the admin token where one is needed). */
  BridgeClient bridge(int node) throws IOException {
    return new BridgeClient(host(node), bridgePort(node), net == null ? "" : ADMIN_TOKEN);
  }

  TcpDevice tcp(int node) throws IOException {
    return new TcpDevice(host(node), port("tcp", node));
  }

  /**
   * Says hello as {@code deviceId} on {@code device} (with its token where the transport asks for
   * one) and returns the welcome, or whatever came instead.
   */
  JsonObject hello(TcpDevice device, String deviceId, double heartbeatS) throws IOException {
    if (net == null) {
      return device.hello(deviceId, heartbeatS);
    }
    device.send(
        new JsonObject()
            .put("type", "hello")
            .put("device", deviceId)
            .put("heartbeat", heartbeatS)
            .put("token", auth.tokenFor(deviceId)));
    return device.read(Duration.ofSeconds(10));
  }

  MqttDevice mqtt(int node) throws IOException {
    return new MqttDevice("127.0.0.1", port("mqtt", node));
  }

  String nodeId(int node) {
    return nodes[node].nodeId();
  }

  void awaitMembers(int members) throws Exception {
    awaitCount(
        count ->
            count.getJsonObject("byNode").size() == members && !count.containsKey("unreachable"));
  }

  /**
   * Waits until every node has reported its partitions safe ({@code partitionsSafe} in {@code
   * sessions.admin.metrics}) for longer than its one-second check, so that no answer from before
   * the last join counts. Until then some directory entries exist on one member only and a fault
   * loses them (docs/cluster.md, "One fault at a time"): SplitBrainIT froze the first member 1 s
   * after the third joined, 38 partitions were "completely lost", and two of its four sessions were
   * never announced.
   */
  void awaitPartitionsSafe() {
    Awaitility.await("every node's partitions safe")
        .atMost(Duration.ofSeconds(60))
        .during(Duration.ofMillis(1_500))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> admin.request(Addresses.ADMIN_METRICS, new JsonObject(), WAIT),
            ThreeNodes::allSafe);
  }

  private static boolean allSafe(JsonObject metrics) {
    JsonObject byNode = metrics.getJsonObject("byNode");
    return byNode.size() == 3
        && !metrics.containsKey("unreachable")
        && byNode.stream()
            .allMatch(node -> ((JsonObject) node.getValue()).getBoolean("partitionsSafe", false));
  }

  /**
   * Waits until every other node has logged how many sessions of the lost node it announced (each
   * survivor logs once, after its atomic release of the lost node's entries, with 0 when another
   * survivor had them) and returns the sum: once it equals the lost node's sessions, no duplicate
   * can still be on its way.
   */
  int awaitAnnounced(int lost, Duration timeout) {
    Pattern line =
        Pattern.compile(
            "node_lost node=" + Pattern.quote(nodes[lost].nodeId()) + " sessions_announced=(\\d+)");
    int announced = 0;
    for (int i = 0; i < nodes.length; i++) {
      if (i != lost) {
        announced += Integer.parseInt(nodes[i].awaitLog(line, timeout).group(1));
      }
    }
    return announced;
  }

  /**
   * Polls the cluster-wide count (there is no event for "the cluster changed") until it matches.
   */
  JsonObject awaitCount(Predicate<JsonObject> wanted) {
    return Awaitility.await("cluster count")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> admin.request(Addresses.ADMIN_COUNT, new JsonObject(), WAIT), wanted::test);
  }

  /** The {@code table.tickMs} every node runs with. */
  long tickMs() throws IOException {
    return BrokerHarness.config(new JsonObject(Files.readString(conf))).table().tickMs();
  }

  /**
   * Subscribes an event contract on the bridges of {@code watched}: see {@link ClusterContract}.
   */
  ClusterContract contract(int... watched) throws Exception {
    return new ClusterContract(this, tickMs(), watched);
  }

  /**
   * Stops every running node gracefully (SIGTERM: its sessions close with SHUTDOWN), C, then B,
   * then A, as an operator stops a cluster one node at a time; settles the contract after each, so
   * that the closes of one node have reached the watched subscribers before the next stops; then
   * checks everything the contract recorded, including that every opened session was closed.
   *
   * <p>Each next node stops only once the running ones have seen the last one leave ({@code
   * node_left}): with quorum 2 the last node is then alone, and it must still announce its own
   * sessions. It did so only when its SIGTERM came before it heard the second node leave, and
   * PartitionIT failed the other time (the last node counted itself cut off and withheld its
   * closes); now every cluster test that ends here checks it, every time.
   */
  void stopAndFinish(ClusterContract contract) throws Exception {
    contract.contract.shuttingDown();
    for (int node = nodes.length - 1; node >= 0; node--) {
      if (nodes[node] != null && nodes[node].isAlive()) {
        Map<Integer, Long> logged = new HashMap<>();
        for (int other = 0; other < node; other++) {
          if (nodes[other] != null && nodes[other].isAlive()) {
            logged.put(other, nodes[other].logLength());
          }
        }
        assertStopped(node, nodes[node].terminate(Duration.ofSeconds(60)));
        Pattern left = Pattern.compile("node_left node=" + Pattern.quote(nodeId(node)) + " ");
        for (Map.Entry<Integer, Long> other : logged.entrySet()) {
          nodes[other.getKey()].awaitLog(other.getValue(), left, WAIT);
        }
        contract.stopped(node);
        contract.settle();
      }
    }
    contract.contract.finish();
  }

  private static void assertStopped(int node, int exit) {
    if (exit != 0) {
      throw new AssertionError(
          "node " + (char) ('A' + node) + " exited with " + exit + " on SIGTERM");
    }
  }

  @Override
  public void close() throws Exception {
    if (admin != null) {
      admin.close();
    }
    for (BrokerProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
  }
}

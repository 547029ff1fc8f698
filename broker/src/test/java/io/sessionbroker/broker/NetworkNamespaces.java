package io.sessionbroker.broker;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three network namespaces, one per broker node, so that a test can cut the network between nodes
 * the way a switch failure does. Each node has two links:
 *
 * <ul>
 *   <li>a <b>cluster link</b> ({@code 10.252.X.n/24}) on a bridge that has no address in this
 *       namespace: Hazelcast and the clustered event bus talk over it. {@link #cut} takes a node's
 *       port of that bridge down (no FIN, no RST: the other side's packets simply stop) and {@link
 *       #heal} brings it up again;
 *   <li>a <b>device link</b> ({@code 10.253.X.n/24}) on a second bridge that has {@code
 *       10.253.X.254} in this namespace: the test's devices and bridge clients reach every node
 *       over it, also while the node is cut off from the others (as devices on the internet still
 *       reach a node whose cluster network failed).
 * </ul>
 *
 * <p>Nothing the test starts listens outside a namespace; the addresses exist only on the links
 * this class creates and {@link #close} removes. ({@code tc} filters and {@code netem} would drop
 * packets without taking a link down, but the kernels of the CI containers here lack their modules,
 * so the cut is a link that goes down on the bridge side.) Needs root and iproute2; {@link #create}
 * skips the test with a message otherwise.
 */
final class NetworkNamespaces implements AutoCloseable {

  private final String prefix;
  private final int subnet;
  private final List<String> created = new ArrayList<>();

  private NetworkNamespaces(String prefix, int subnet) {
    this.prefix = prefix;
    this.subnet = subnet;
  }

  /** Builds the namespaces and links, or skips the calling test if it cannot. */
  static NetworkNamespaces create() throws IOException, InterruptedException {
    assumeTrue(sh("ip", "-V") == 0, "iproute2 (ip) is not installed: no network namespaces");
    long pid = ProcessHandle.current().pid();
    String prefix = "sbn" + pid % 100_000;
    int subnet = 100 + (int) (pid % 100);
    NetworkNamespaces net = new NetworkNamespaces(prefix, subnet);
    assumeTrue(
        sh("ip", "netns", "add", net.namespace(0)) == 0,
        "cannot create a network namespace (not root?): the partition test needs one per node");
    net.created.add("netns:" + net.namespace(0));
    boolean bridges = sh("ip", "link", "add", prefix + "probe", "type", "bridge") == 0;
    if (bridges) {
      sh("ip", "link", "del", prefix + "probe");
    } else {
      net.close();
    }
    assumeTrue(bridges, "this kernel makes no bridge (module bridge): the nodes' links need two");
    try {
      net.build();
      return net;
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private void build() throws IOException, InterruptedException {
    for (int node = 1; node < 3; node++) {
      run("ip", "netns", "add", namespace(node));
      created.add("netns:" + namespace(node));
    }
    run("ip", "link", "add", prefix + "cbr", "type", "bridge");
    created.add("link:" + prefix + "cbr");
    run("ip", "link", "add", prefix + "dbr", "type", "bridge");
    created.add("link:" + prefix + "dbr");
    run("ip", "addr", "add", "10.253." + subnet + ".254/24", "dev", prefix + "dbr");
    run("ip", "link", "set", prefix + "cbr", "up");
    run("ip", "link", "set", prefix + "dbr", "up");
    for (int node = 0; node < 3; node++) {
      link(node, "c", "cluster", clusterAddress(node));
      link(node, "d", "devices", deviceAddress(node));
      run("ip", "-n", namespace(node), "link", "set", "lo", "up");
    }
  }

  /** A veth pair from bridge {@code kind} to the node's namespace, named {@code name} there. */
  private void link(int node, String kind, String name, String address)
      throws IOException, InterruptedException {
    String outside = prefix + kind + node;
    String inside = prefix + kind + node + "n";
    run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
    created.add("link:" + outside);
    run("ip", "link", "set", inside, "netns", namespace(node));
    run("ip", "-n", namespace(node), "link", "set", inside, "name", name);
    run("ip", "-n", namespace(node), "addr", "add", address + "/24", "dev", name);
    run("ip", "-n", namespace(node), "link", "set", name, "up");
    run("ip", "link", "set", outside, "master", prefix + kind + "br", "up");
  }

  String namespace(int node) {
    return prefix + "n" + node;
  }

  /** The node's address for Hazelcast and the event bus. */
  String clusterAddress(int node) {
    return "10.252." + subnet + "." + (node + 1);
  }

  /** The node's address for devices and bridge clients, reachable from the test. */
  String deviceAddress(int node) {
    return "10.253." + subnet + "." + (node + 1);
  }

  /** Every address of the cluster network, as a Hazelcast interface pattern. */
  String clusterInterface() {
    return "10.252." + subnet + ".*";
  }

  /** What runs a command inside the node's namespace. */
  List<String> enter(int node) {
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /** Cuts the node's cluster link: from now on it and the other nodes do not hear each other. */
  void cut(int node) throws IOException, InterruptedException {
    run("ip", "link", "set", prefix + "c" + node, "down");
  }

  /** Brings the node's cluster link back. */
  void heal(int node) throws IOException, InterruptedException {
    run("ip", "link", "set", prefix + "c" + node, "up");
  }

  @Override
  public void close() throws IOException, InterruptedException {
    for (int i = created.size() - 1; i >= 0; i--) {
      String[] what = created.get(i).split(":", 2);
      if (what[0].equals("netns")) {
        sh("ip", "netns", "del", what[1]);
      } else {
        sh("ip", "link", "del", what[1]);
      }
    }
    created.clear();
  }

  private static void run(String... command) throws IOException, InterruptedException {
    int exit = sh(command);
    if (exit != 0) {
      throw new IOException(String.join(" ", command) + " exited with " + exit);
    }
  }

  private static int sh(String... command) throws IOException, InterruptedException {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().transferTo(OutputStream.nullOutputStream());
      return process.waitFor(20, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}

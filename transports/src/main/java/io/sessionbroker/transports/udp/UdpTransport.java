package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.limits.ConnectLimits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP transport: heartbeat-only sessions over datagrams, protected by a per-session ticket
 * (DESIGN §6, {@code docs/protocol.md}). A UDP session holds no socket and no file descriptor, only
 * a few hundred bytes of heap, so one node holds a million of them.
 *
 * <p>It binds one socket per event loop to the same port with {@code SO_REUSEPORT} when Vert.x runs
 * on the native transport ({@code new VertxOptions().setPreferNativeTransport(true)}), else one
 * socket. The protocol itself lives in {@link UdpProtocol}; this class only starts and stops the
 * sockets.
 *
 * <pre>{@code
 * UdpTransport udp = new UdpTransport(table, UdpOptions.fromJson(conf.getJsonObject("udp")), auth);
 * int port = udp.start(vertx).await();
 * JsonObject counters = udp.stats().toJson(); // for metrics, at any time
 * }</pre>
 */
public final class UdpTransport {

  private static final Logger log = LoggerFactory.getLogger(UdpTransport.class);

  private final UdpOptions options;
  private final UdpStats stats = new UdpStats();
  private final UdpProtocol protocol;
  private final List<UdpListener> listeners = new CopyOnWriteArrayList<>();
  private final List<String> deployments = new CopyOnWriteArrayList<>();
  private Vertx vertx;

  public UdpTransport(SessionTable table, UdpOptions options, DeviceAuth auth) {
    this(table, options, auth, null);
  }

  /**
   * @param limits the connect limits a hello counts against, like a TCP connect; null: none
   */
  public UdpTransport(
      SessionTable table, UdpOptions options, DeviceAuth auth, ConnectLimits limits) {
    this.options = options;
    this.protocol = new UdpProtocol(table, options, auth, stats, limits);
  }

  /**
   * Binds the sockets; completes with the bound port. Fails when another socket holds the port
   * ({@link #claim}). The first socket binds the configured port (0 picks a free one); the others
   * join it on the port it got.
   */
  public Future<Integer> start(Vertx vertx) {
    this.vertx = vertx;
    boolean reusePort = vertx.isNativeTransportEnabled();
    int sockets = reusePort ? options.socketCount() : 1;
    if (!reusePort) {
      Throwable cause = vertx.unavailableNativeTransportCause();
      log.info(
          "udp_single_socket reason=\"{}\"",
          cause != null
              ? cause.getMessage()
              : "Vert.x was created without preferNativeTransport, so no SO_REUSEPORT");
    }
    return claim(vertx, reusePort)
        .compose(port -> deploy(port, reusePort))
        .compose(
            first -> {
              int port = first.boundPort();
              protocol.outlet(first);
              List<Future<UdpListener>> others = new ArrayList<>();
              for (int i = 1; i < sockets; i++) {
                others.add(deploy(port, true));
              }
              return Future.all(others)
                  .map(
                      all -> {
                        log.info(
                            "udp_listening host={} port={} sockets={}",
                            options.host(),
                            port,
                            listeners.size());
                        return port;
                      });
            });
  }

  /**
   * The port this transport may bind, having checked that no other socket holds it. With {@code
   * SO_REUSEPORT} the kernel lets any socket of the same user join a port whose sockets all set it:
   * a second broker on the same port would share it silently, and the kernel would split the
   * devices between two session tables. So a probe binds the port first without {@code
   * SO_REUSEPORT}, which fails if any socket holds it, and lets it go; then this transport's own
   * sockets bind it together. (The alternative, one socket and a hand-off to the other event loops,
   * would cost every datagram a queue hop.) What is left: a socket that binds the port in the
   * microseconds between the probe's close and the first bind still joins. Without {@code
   * SO_REUSEPORT} the one socket's own bind fails on a held port: no probe needed.
   *
   * @return the port to bind: the configured one, or the free one the probe got for port 0
   */
  private Future<Integer> claim(Vertx vertx, boolean reusePort) {
    if (!reusePort) {
      return Future.succeededFuture(options.port());
    }
    DatagramSocket probe =
        vertx.createDatagramSocket(
            new DatagramSocketOptions().setIpV6(options.host().indexOf(':') >= 0));
    return probe
        .listen(options.port(), options.host())
        .compose(bound -> probe.close().map(bound.localAddress().port()));
  }

  private Future<UdpListener> deploy(int port, boolean reusePort) {
    UdpListener listener = new UdpListener(options, port, reusePort, protocol, stats);
    return vertx
        .deployVerticle(listener)
        .map(
            id -> {
              deployments.add(id);
              listeners.add(listener);
              return listener;
            });
  }

  /**
   * Closes the sockets. Sessions stay in the table: the broker closes them (with {@code SHUTDOWN},
   * which sends each device its {@code bye}) before it stops the transports; a session closed after
   * this gets no {@code bye}.
   */
  public Future<Void> stop() {
    protocol.outlet(null);
    List<Future<Void>> undeployed = new ArrayList<>();
    for (String id : deployments) {
      undeployed.add(vertx.undeploy(id));
    }
    deployments.clear();
    listeners.clear();
    return Future.all(undeployed).mapEmpty();
  }

  /** Counters for metrics; live, cheap to read from any thread. */
  public UdpStats stats() {
    return stats;
  }

  /** The bound port; valid once {@link #start} has completed. */
  public int port() {
    return listeners.get(0).boundPort();
  }

  /** How many sockets (and event loops) serve the port. */
  public int sockets() {
    return listeners.size();
  }

  /** UDP sessions held by this transport, open or opening. */
  public int sessions() {
    return protocol.sessions();
  }

  public UdpOptions options() {
    return options;
  }
}

package io.sessionbroker.broker;

import io.sessionbroker.broker.http.BrokerMetrics;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.SharedReadBuffers;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.limits.AcceptGate;
import io.sessionbroker.transports.limits.ConnectLimits;
import io.sessionbroker.transports.mqtt.AclDenials;
import io.sessionbroker.transports.mqtt.ClusterRouter;
import io.sessionbroker.transports.mqtt.LocalRouter;
import io.sessionbroker.transports.mqtt.MqttTransport;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.udp.UdpStats;
import io.sessionbroker.transports.udp.UdpTransport;
import io.sessionbroker.transports.websocket.WebSocketTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A node's device listeners — raw TCP, UDP, MQTT, WebSocket — as {@link Broker} starts them: built
 * from the configuration, started one after another, and asked for their ports and their counts
 * (for {@code sessions.admin.metrics} and {@code /metrics}).
 */
final class DeviceListeners {

  private final Vertx vertx;
  private final SessionTable table;
  private final BrokerConfig config;
  private final String clusterNodeId;
  private final Map<TransportName, Listener> listeners = new EnumMap<>(TransportName.class);
  private final ConnectLimits limits;
  private UdpTransport udp;
  private TcpTransport tcp;
  private MqttTransport mqtt;
  private WebSocketTransport websocket;

  /**
   * @param clusterNodeId this node's id when clustered (MQTT publishes then reach every node), null
   *     standalone
   */
  DeviceListeners(Vertx vertx, SessionTable table, BrokerConfig config, String clusterNodeId) {
    this.vertx = vertx;
    this.table = table;
    this.config = config;
    this.clusterNodeId = clusterNodeId;
    this.limits = new ConnectLimits(config.limits(), System.nanoTime());
  }

  /**
   * A device listener: its name in the configuration, its address and configured port, how it
   * starts, its bound port once up.
   */
  private record Listener(
      TransportName name,
      String host,
      int configuredPort,
      Supplier<Future<?>> start,
      IntSupplier port,
      IntSupplier tlsPort,
      Supplier<List<?>> servers) {

    /** {@code tcp 127.0.0.1:7000}, {@code tcp 127.0.0.1:7000 + tls 7443}, {@code tcp tls ...}. */
    String describe(ListenerTls tls) {
      String name = name().id();
      if (!tls.enabled()) {
        return name + " " + host + ":" + configuredPort;
      }
      return tls.plain()
          ? name + " " + host + ":" + configuredPort + " + tls " + tls.port()
          : name + " tls " + host + ":" + tls.port();
    }
  }

  /** Starts the configured listeners one after another; fails with the first that cannot. */
  Future<Void> deploy() {
    if (config.auth().passwords() != null) {
      config.auth().passwords().watch(vertx); // auth.passwordFile, re-read when it changes
    }
    List<Listener> wanted = new ArrayList<>();
    if (config.tcp() != null) {
      tcp = new TcpTransport(table, config.tcp(), config.auth(), config.tls("tcp"));
      wanted.add(
          new Listener(
              TransportName.TCP,
              config.tcp().host(),
              config.tcp().port(),
              () -> vertx.deployVerticle(tcp),
              tcp::port,
              tcp::tlsPort,
              tcp::servers));
    }
    if (config.udp() != null) {
      udp = new UdpTransport(table, config.udp(), config.auth(), limits.enabled() ? limits : null);
      wanted.add(
          new Listener(
              TransportName.UDP,
              config.udp().host(),
              config.udp().port(),
              () -> udp.start(vertx),
              udp::port,
              () -> -1,
              List::of));
    }
    if (config.mqtt() != null) {
      // One instance, listening from every event loop (MqttTransport, "Threading"). Clustered,
      // publishes and the wills of crashed nodes reach subscribers on every node.
      mqtt =
          new MqttTransport(
              table,
              config.mqtt(),
              config.auth(),
              clusterNodeId == null
                  ? new LocalRouter()
                  : new ClusterRouter(vertx.eventBus(), clusterNodeId),
              config.tls("mqtt"),
              config.mqttAcl());
      wanted.add(
          new Listener(
              TransportName.MQTT,
              config.mqtt().host(),
              config.mqtt().port(),
              () -> vertx.deployVerticle(mqtt),
              mqtt::port,
              mqtt::tlsPort,
              mqtt::servers));
    }
    if (config.websocket() != null) {
      websocket =
          new WebSocketTransport(table, config.websocket(), config.auth(), config.tls("websocket"));
      wanted.add(
          new Listener(
              TransportName.WEBSOCKET,
              config.websocket().host(),
              config.websocket().port(),
              () -> vertx.deployVerticle(websocket),
              websocket::port,
              websocket::tlsPort,
              websocket::servers));
    }
    Future<Void> chain = Future.succeededFuture();
    for (Listener listener : wanted) {
      chain =
          chain
              .compose(
                  v ->
                      ListenerException.naming(
                          listener.start().get(),
                          listener.describe(config.tls(listener.name().id()))))
              .compose(
                  id -> {
                    listeners.put(listener.name(), listener);
                    return gate(listener);
                  });
    }
    return chain;
  }

  /**
   * Puts the shared read buffers and the connect limits in front of a listener's servers, plain and
   * TLS, as soon as they listen; completes when both are active, before the broker says it is
   * ready, so no device connects around them. Device listeners only: not the cluster bus, the
   * bridge, the HTTP API. Fails the start if either cannot be installed.
   */
  private Future<Void> gate(Listener listener) {
    List<Future<Void>> installed = new ArrayList<>();
    for (Object server : listener.servers().get()) {
      installed.add(active(SharedReadBuffers.install(server)));
      if (limits.enabled()) {
        installed.add(active(AcceptGate.install(server, limits, listener.name().id())));
      }
    }
    return Future.all(installed).mapEmpty();
  }

  /** A handler's install, completed on this verticle's context. */
  private Future<Void> active(CompletionStage<Void> install) {
    return Future.fromCompletionStage(install, vertx.getOrCreateContext());
  }

  /** The listening servers of {@code name}, plain and TLS; none when it is off (for tests). */
  List<?> servers(TransportName name) {
    Listener listener = listeners.get(name);
    return listener == null ? List.of() : listener.servers().get();
  }

  /** What the transports count, for {@code /metrics}. */
  List<BrokerMetrics.TransportCounter> counters() {
    List<BrokerMetrics.TransportCounter> counters = new ArrayList<>();
    if (udp != null) {
      UdpStats stats = udp.stats();
      for (UdpStats.Counter counter : UdpStats.Counter.values()) {
        counters.add(
            new BrokerMetrics.TransportCounter(
                "udp.datagrams",
                "UDP datagrams received and sent, by kind",
                () -> stats.get(counter),
                "kind",
                counter.name().toLowerCase(java.util.Locale.ROOT)));
      }
      for (UdpStats.Drop drop : UdpStats.Drop.values()) {
        counters.add(
            new BrokerMetrics.TransportCounter(
                "udp.dropped",
                "UDP datagrams dropped, by reason",
                () -> stats.dropped(drop),
                "reason",
                drop.name().toLowerCase(java.util.Locale.ROOT)));
      }
    }
    if (mqtt != null) {
      AclDenials denials = mqtt.denials();
      for (AclDenials.Action action : AclDenials.Action.values()) {
        counters.add(
            new BrokerMetrics.TransportCounter(
                "mqtt.denied",
                "MQTT operations the ACL refused: PUBLISH, SUBSCRIBE filters, wills",
                () -> denials.get(action),
                "action",
                action.name().toLowerCase(java.util.Locale.ROOT)));
      }
    }
    for (ConnectLimits.Refusal refusal : ConnectLimits.Refusal.values()) {
      counters.add(
          new BrokerMetrics.TransportCounter(
              "connects.refused",
              "Connects refused by the limits section before TLS or protocol, and UDP hellos"
                  + " over the connect rate, by reason",
              () -> limits.refused(refusal),
              "reason",
              refusal.code()));
    }
    counters.add(
        new BrokerMetrics.TransportCounter(
            "auth.failure.events.suppressed",
            "sessions.rejected events of failed credentials (TCP, MQTT, WebSocket) held back by"
                + " auth.failureEventsPerSecond; UDP counts its own in udp_datagrams",
            config.auth()::failureEventsSuppressed));
    heartbeats(counters, TransportName.TCP, tcp == null ? null : tcp::heartbeats);
    heartbeats(counters, TransportName.MQTT, mqtt == null ? null : mqtt::heartbeats);
    heartbeats(counters, TransportName.WEBSOCKET, websocket == null ? null : websocket::heartbeats);
    if (udp != null) {
      UdpStats stats = udp.stats();
      heartbeats(counters, TransportName.UDP, () -> stats.get(UdpStats.Counter.PING));
    }
    return counters;
  }

  private static void heartbeats(
      List<BrokerMetrics.TransportCounter> counters, TransportName transport, LongSupplier count) {
    if (count != null) {
      counters.add(
          new BrokerMetrics.TransportCounter(
              "heartbeats",
              "Heartbeats from devices with an open session: TCP/UDP/WebSocket ping frames,"
                  + " WebSocket pongs, MQTT PINGREQs",
              count,
              "transport",
              transport.id()));
    }
  }

  /**
   * This node's counters for {@code sessions.admin.metrics}: open TCP connections, UDP datagrams by
   * fate.
   */
  JsonObject nodeMetrics() {
    JsonObject metrics = new JsonObject();
    if (tcp != null) {
      metrics.put(TransportName.TCP.id(), new JsonObject().put("connections", tcp.connections()));
    }
    if (udp != null) {
      metrics.put(TransportName.UDP.id(), udp.stats().toJson());
    }
    return metrics;
  }

  /** The bound port of a device listener; -1 when disabled. */
  int port(TransportName listener) {
    Listener deployed = listeners.get(listener);
    return deployed == null ? -1 : deployed.port().getAsInt();
  }

  /** The bound TLS port of a device listener; -1 when it has none. */
  int tlsPort(TransportName listener) {
    Listener deployed = listeners.get(listener);
    return deployed == null ? -1 : deployed.tlsPort().getAsInt();
  }

  /** What is listening: {@code "tcp 127.0.0.1:7000"}, {@code "tcp tls 127.0.0.1:7443"}. */
  List<String> describe() {
    List<String> up = new ArrayList<>();
    for (Listener l : listeners.values()) {
      if (l.port().getAsInt() >= 0) {
        up.add(l.name() + " " + l.host() + ":" + l.port().getAsInt());
      }
      if (l.tlsPort().getAsInt() >= 0) {
        up.add(l.name() + " tls " + l.host() + ":" + l.tlsPort().getAsInt());
      }
    }
    return up;
  }
}

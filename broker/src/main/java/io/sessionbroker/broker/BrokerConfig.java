package io.sessionbroker.broker;

import io.sessionbroker.broker.http.HttpOptions;
import io.sessionbroker.cluster.CommandOptions;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.auth.Passwords;
import io.sessionbroker.transports.limits.LimitsOptions;
import io.sessionbroker.transports.mqtt.AclOptions;
import io.sessionbroker.transports.mqtt.MqttOptions;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.tls.TlsOptions;
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The broker's typed configuration, read from JSON ({@code conf/broker.json}); every section is
 * documented in the README. Validation happens here, so a bad setting stops the broker at start
 * with a clear message.
 *
 * @param nodeId this node's name in events; random when not configured
 * @param table session table settings
 * @param tcp raw TCP listener, or null when disabled
 * @param udp UDP listener, or null when disabled
 * @param mqtt MQTT listener, or null when disabled
 * @param websocket WebSocket listener, or null when disabled
 * @param bridge external event bus access
 * @param http the operator's HTTP listener: health, metrics, REST admin API, event stream
 * @param auth device authentication; required as soon as a device listener is bound beyond loopback
 * @param shutdownGraceMs at a graceful stop, after the drain: time for this node's own bridge
 *     subscribers to get the last close events before Vert.x closes
 * @param shutdownMaxDrainMs at a graceful stop, the longest wait for the {@code SHUTDOWN} closes to
 *     be published and read by the other nodes ({@link ShutdownDrain}); 0 does not wait
 * @param cluster clustering over Hazelcast
 * @param tls the certificate of the TLS listeners, or null when TLS is off (no {@code
 *     tls.certFile})
 * @param listenerTls per listener ({@code tcp}, {@code mqtt}, {@code websocket}, {@code bridge},
 *     {@code http}): its TLS port and whether its plain port is bound too
 * @param mqttAcl MQTT authorization: the ACL file and the administrative users
 * @param limits connect rates, connections per address, flapping detection ({@code limits})
 * @param commands commands to devices: timeouts, payload and in-flight bounds
 * @param ioTransport {@code node.ioTransport}: {@code epoll}, {@code io_uring} or {@code nio}, with
 *     a fallback where the kernel refuses it ({@link IoTransports})
 * @param warmupCloses {@code node.warmupCloses}: mass-expiry closes rehearsed before the node is
 *     ready ({@link Warmup}); 0 = none
 * @param warmupMaxMs {@code node.warmupMaxMs}: the longest that rehearsal may take
 * @param eventLoops {@code node.eventLoops}: the node's event-loop threads; 0 = the default of
 *     {@link EventLoops}
 */
public record BrokerConfig(
    String nodeId,
    TableOptions table,
    TcpOptions tcp,
    UdpOptions udp,
    MqttOptions mqtt,
    WsOptions websocket,
    BridgeOptions bridge,
    HttpOptions http,
    DeviceAuth auth,
    int shutdownGraceMs,
    int shutdownMaxDrainMs,
    ClusterOptions cluster,
    TlsOptions tls,
    Map<String, ListenerTls> listenerTls,
    AclOptions mqttAcl,
    LimitsOptions limits,
    CommandOptions commands,
    String ioTransport,
    int warmupCloses,
    int warmupMaxMs,
    int eventLoops) {

  /** The listeners that may have a TLS port ({@code udp} has none: DTLS is not supported). */
  public static final List<String> TLS_LISTENERS =
      List.of(
          TransportName.TCP.id(),
          TransportName.MQTT.id(),
          TransportName.WEBSOCKET.id(),
          "bridge",
          "http");

  /** How {@code listener} uses TLS; {@link ListenerTls#NONE} when it has no TLS port. */
  public ListenerTls tls(String listener) {
    return listenerTls.getOrDefault(listener, ListenerTls.NONE);
  }

  /**
   * @param enabled whether this node joins a cluster ({@code bin/broker --cluster})
   * @param configFile the Hazelcast configuration (conf/cluster.xml); relative to the broker's
   *     config file
   * @param host address of the clustered event bus; loopback unless members run on several hosts
   * @param quorum members a node must see around it (itself included) to announce a lost node's
   *     sessions; a majority of the planned cluster size, so a node cut off from the others stays
   *     quiet
   * @param name the cluster's name: nodes join only a cluster of their own name
   */
  public record ClusterOptions(
      boolean enabled, Path configFile, String host, int quorum, String name) {

    static ClusterOptions fromJson(JsonObject json, Path baseDir) {
      int quorum = json.getInteger("quorum", 2);
      if (quorum < 1) {
        throw new IllegalArgumentException("cluster.quorum must be >= 1, was " + quorum);
      }
      return new ClusterOptions(
          json.getBoolean("enabled", false),
          baseDir.resolve(json.getString("configFile", "cluster.xml")),
          json.getString("host", "127.0.0.1"),
          quorum,
          clusterName(json.getString("name", "")));
    }
  }

  /**
   * @param host address of the TCP event bus bridge; loopback only (there is no admin credential
   *     yet)
   * @param port its port
   * @param maxFrameBytes largest frame a client may send, length prefix excluded; a longer one ends
   *     the connection as soon as its prefix is read
   * @param maxBacklogBytes bytes the bridge may hold for a client that does not read them (beyond
   *     what the kernel's socket buffers take); more end the connection
   */
  public record BridgeOptions(
      boolean enabled, String host, int port, int maxFrameBytes, int maxBacklogBytes) {

    public static final int DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

    public BridgeOptions {
      if (maxFrameBytes < 256 || maxFrameBytes > 64 * 1024 * 1024) {
        throw new IllegalArgumentException(
            "bridge.maxFrameBytes must be 256..67108864, was " + maxFrameBytes);
      }
      if (maxBacklogBytes < 65_536) {
        throw new IllegalArgumentException(
            "bridge.maxBacklogBytes must be >= 65536, was " + maxBacklogBytes);
      }
    }

    static BridgeOptions fromJson(JsonObject json) {
      return new BridgeOptions(
          json.getBoolean("enabled", true),
          json.getString("host", "127.0.0.1"),
          json.getInteger("port", 7900),
          json.getInteger("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES),
          json.getInteger("maxBacklogBytes", DEFAULT_MAX_BACKLOG_BYTES));
    }
  }

  /**
   * The cluster's name; empty means {@code session-broker-<user>}: the nodes one person starts on a
   * machine find each other, and two people's clusters on one machine never merge (Hazelcast checks
   * the name when a member joins). Nodes of one cluster on several hosts run as one service user,
   * or set a name.
   */
  static String clusterName(String configured) {
    return configured.isBlank()
        ? "session-broker-" + System.getProperty("user.name", "unknown")
        : configured;
  }

  /** Reads the configuration; relative file names in it are resolved against {@code baseDir}. */
  public static BrokerConfig fromJson(JsonObject json, Path baseDir) {
    String nodeId = json.getJsonObject("node", new JsonObject()).getString("id", "");
    if (nodeId.isBlank()) {
      nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
    }
    TcpOptions tcp = listener(json, TransportName.TCP, TcpOptions::fromJson);
    UdpOptions udp = listener(json, TransportName.UDP, UdpOptions::fromJson);
    MqttOptions mqtt = listener(json, TransportName.MQTT, MqttOptions::fromJson);
    WsOptions websocket = listener(json, TransportName.WEBSOCKET, WsOptions::fromJson);
    JsonObject authSection = json.getJsonObject("auth", new JsonObject());
    DeviceAuth auth = deviceAuth(authSection, baseDir);
    TlsOptions tls = TlsOptions.fromJson(json.getJsonObject("tls", new JsonObject()), baseDir);
    AclOptions mqttAcl =
        mqtt == null ? AclOptions.NONE : AclOptions.fromJson(json.getJsonObject("mqtt"), baseDir);
    mqttAcl.load(); // a missing file or a wrong line stops the start, with the line named
    checkAdminUsers(mqttAcl, auth, authSection);
    BrokerConfig config =
        new BrokerConfig(
            nodeId,
            TableOptions.fromJson(json.getJsonObject("table", new JsonObject())),
            tcp,
            udp,
            mqtt,
            websocket,
            BridgeOptions.fromJson(json.getJsonObject("bridge", new JsonObject())),
            HttpOptions.fromJson(json.getJsonObject("http", new JsonObject())),
            auth,
            json.getJsonObject("shutdown", new JsonObject()).getInteger("graceMs", 500),
            json.getJsonObject("shutdown", new JsonObject()).getInteger("maxDrainMs", 10_000),
            ClusterOptions.fromJson(json.getJsonObject("cluster", new JsonObject()), baseDir),
            tls,
            listenerTls(json, tls),
            mqttAcl,
            LimitsOptions.fromJson(json.getJsonObject("limits", new JsonObject())),
            CommandOptions.fromJson(json.getJsonObject("commands", new JsonObject())),
            json.getJsonObject("node", new JsonObject()).getString("ioTransport", "epoll"),
            json.getJsonObject("node", new JsonObject()).getInteger("warmupCloses", 0),
            json.getJsonObject("node", new JsonObject()).getInteger("warmupMaxMs", 5_000),
            json.getJsonObject("node", new JsonObject()).getInteger("eventLoops", 0));
    config.checkSecurity(authSection.getBoolean("allowInsecure", false));
    return config;
  }

  /**
   * The {@code auth} section: the token secret, the password file (read now: a bad line stops the
   * start, naming it), what a failed check costs the device and the event bus.
   */
  private static DeviceAuth deviceAuth(JsonObject auth, Path baseDir) {
    DeviceAuth deviceAuth =
        DeviceAuth.NONE.failures(
            auth.getInteger("failureDelayMs", 1000), auth.getInteger("failureEventsPerSecond", 10));
    String secret = auth.getString("secret", "");
    if (!secret.isEmpty()) {
      deviceAuth = deviceAuth.secret(secret);
    }
    String passwordFile = auth.getString("passwordFile", "");
    if (!passwordFile.isEmpty()) {
      deviceAuth =
          deviceAuth.passwords(
              Passwords.load(
                  baseDir.resolve(passwordFile), auth.getInteger("reloadCheckMs", 5000)));
    }
    return deviceAuth;
  }

  /**
   * Each listener's {@code tlsPort} (absent or -1: none; 0: a free one) and {@code plain} (default
   * true); a TLS port is bound only when the {@code tls} section names a certificate.
   */
  private static Map<String, ListenerTls> listenerTls(JsonObject json, TlsOptions tls) {
    Map<String, ListenerTls> ports = new HashMap<>();
    for (String listener : TLS_LISTENERS) {
      JsonObject section = json.getJsonObject(listener);
      if (section == null || !section.getBoolean("enabled", true)) {
        continue;
      }
      int port = section.getInteger("tlsPort", -1);
      boolean plain = section.getBoolean("plain", true);
      try {
        ports.put(listener, new ListenerTls(plain, port, tls == null || port < 0 ? null : tls));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(listener + "." + e.getMessage(), e);
      }
    }
    return Map.copyOf(ports);
  }

  /** A listener's options from its section, or null when the section is missing or disabled. */
  private static <T> T listener(
      JsonObject json, TransportName name, Function<JsonObject, T> fromJson) {
    JsonObject conf = json.getJsonObject(name.id());
    return conf != null && conf.getBoolean("enabled", true) ? fromJson.apply(conf) : null;
  }

  /**
   * An administrative MQTT user name is worth only what checks it: device tokens authenticate the
   * client id, not the user name, so with tokens alone any device could send an admin's user name.
   * With {@code auth.secret} set, {@code mqtt.adminUsers} needs a password file that checks user
   * names ({@code auth.passwordFile}). Without {@code auth.secret} (loopback only) no one is
   * authenticated anyway.
   */
  private static void checkAdminUsers(AclOptions acl, DeviceAuth auth, JsonObject authSection) {
    if (!acl.adminUsers().isEmpty()
        && auth.required()
        && authSection.getString("passwordFile", "").isBlank()) {
      throw new IllegalArgumentException(
          "mqtt.adminUsers needs auth.passwordFile: with auth.secret alone the MQTT user name is"
              + " not checked, and any device could claim to be "
              + acl.adminUsers().iterator().next());
    }
  }

  /**
   * DESIGN §8: a device listener reachable from beyond this machine must check credentials (always)
   * and speak TLS only (unless {@code auth.allowInsecure}); UDP has no TLS, so it needs {@code
   * allowInsecure} there. The admin listeners need {@code http.adminToken}.
   */
  private void checkSecurity(boolean allowInsecure) {
    List<String> problems = new ArrayList<>();
    exposeCheck(problems, TransportName.TCP, tcp == null ? null : tcp.host(), allowInsecure);
    exposeCheck(problems, TransportName.UDP, udp == null ? null : udp.host(), allowInsecure);
    exposeCheck(problems, TransportName.MQTT, mqtt == null ? null : mqtt.host(), allowInsecure);
    exposeCheck(
        problems,
        TransportName.WEBSOCKET,
        websocket == null ? null : websocket.host(),
        allowInsecure);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    if (bridge.enabled() && !isLoopback(bridge.host()) && http.adminToken().isEmpty()) {
      throw new IllegalArgumentException(
          "bridge.host="
              + bridge.host()
              + " is beyond loopback: set http.adminToken (BROKER_HTTP_ADMIN_TOKEN), which the bridge then requires on every frame, or keep it on 127.0.0.1");
    }
    if (http.enabled() && !isLoopback(http.host()) && http.adminToken().isEmpty()) {
      throw new IllegalArgumentException(
          "http.host="
              + http.host()
              + " is beyond loopback: set http.adminToken (BROKER_HTTP_ADMIN_TOKEN) so that /api needs it");
    }
  }

  /**
   * What is wrong with a device listener on {@code host}, if it is beyond loopback: no credential
   * check (a secret, a password file, or client certificates required on a listener with no plain
   * port), or a plain-text port without {@code allowInsecure}.
   */
  private void exposeCheck(
      List<String> problems, TransportName listener, String host, boolean allowInsecure) {
    if (host == null || isLoopback(host)) {
      return;
    }
    String name = listener.id();
    ListenerTls tls = tls(name);
    boolean udp = listener == TransportName.UDP;
    boolean certificatesOnly =
        !udp
            && !tls.plain()
            && tls.enabled()
            && tls.options().clientAuth() == io.vertx.core.http.ClientAuth.REQUIRED;
    if (!auth.required() && !certificatesOnly) {
      problems.add(
          name
              + ".host="
              + host
              + " is beyond loopback but nothing checks who connects: set auth.secret (device"
              + " tokens, at least 16 characters) or auth.passwordFile"
              + (udp ? "" : ", or tls.clientAuth=require with " + name + ".plain=false"));
    }
    if (tls.plain() && !allowInsecure) {
      problems.add(
          name
              + ".host="
              + host
              + " is beyond loopback and "
              + (udp
                  ? "UDP is plain text (there is no DTLS)"
                  : name + ".plain=true serves plain text")
              + ": tokens, passwords and data would cross the network readable by anyone. "
              + (udp
                  ? "Disable it (udp.enabled=false), keep it on 127.0.0.1,"
                  : "Set tls.certFile and tls.keyFile and " + name + ".plain=false,")
              + " or accept that with auth.allowInsecure=true");
    }
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown host " + host, e);
    }
  }
}

package io.sessionbroker.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The load generator's command line, immutable. Defaults match the broker's shipped {@code
 * conf/broker.json} (TCP 7000, MQTT 1883, WebSocket 7080 {@code /devices}, UDP 7001, bridge 7900).
 * Times carry their unit in the name.
 */
public record LoadOptions(
    String host,
    int tcpPort,
    int mqttPort,
    int wsPort,
    String wsPath,
    int udpPort,
    int udpSockets,
    int bridgePort,
    List<Transport> transports,
    int devices,
    int ratePerS,
    int maxPending,
    long heartbeatMs,
    long holdS,
    double silentShare,
    long graceMs,
    String prefix,
    int perProcess,
    long brokerPid,
    String jsonFile,
    long progressS,
    CommandOptions commands,
    int first,
    int workers,
    String tlsCa,
    boolean storm,
    int rehearse,
    int warmConnects,
    String closesFile) {

  public static final int DEFAULT_PER_PROCESS = 18_000;

  /**
   * Devices per process when every device is UDP: no descriptor each, so memory and CPU are the
   * limit.
   */
  public static final int DEFAULT_PER_PROCESS_UDP = 1_000_000;

  public LoadOptions {
    if (devices < 1
        || ratePerS < 0
        || maxPending < 1
        || heartbeatMs < 1000
        || holdS < 0
        || graceMs < 0) {
      throw new IllegalArgumentException(
          "devices >= 1, rate >= 0, max-pending >= 1, heartbeat-ms >= 1000, "
              + "hold-s >= 0, grace-ms >= 0");
    }
    if (silentShare < 0 || silentShare > 1) {
      throw new IllegalArgumentException("--silent is a share between 0 and 1");
    }
    if (transports.isEmpty()) {
      throw new IllegalArgumentException(
          "--transports needs at least one of tcp, mqtt, websocket, udp");
    }
    if (perProcess < 1
        || (perProcess > 19_000 && transports.stream().anyMatch(Transport::holdsSocket))) {
      throw new IllegalArgumentException(
          "--per-process must be 1..19000 (20,000 open files per process) "
              + "unless every device is UDP");
    }
    if (rehearse < 0 || warmConnects < 0) {
      throw new IllegalArgumentException("--rehearse and --warm-connects must be 0 or more");
    }
    if (udpSockets < 1 || udpSockets > 1024) {
      throw new IllegalArgumentException("--udp-sockets must be 1..1024");
    }
    transports = List.copyOf(transports);
  }

  public static final String HELP =
      """
      usage: loadgen [options]      simulates N devices against a running broker, then reports
        --host H             broker host (127.0.0.1)
        --tcp-port P         raw TCP JSON-lines port (7000)
        --mqtt-port P        MQTT port (1883)
        --ws-port P          WebSocket port (7080);   --ws-path PATH (/devices)
        --udp-port P         UDP port (7001)
        --udp-sockets N      local UDP sockets per process, UDP devices spread over them in turn (64)
        --bridge-port P      TCP event bus bridge for sessions.closed (7900); 0 = none (e.g. Mosquitto)
        --transports LIST    tcp,mqtt,websocket,udp — devices take them in turn (tcp)
        --devices N          number of devices (1000)
        --rate R             connects per second over all processes (1000); 0 = as fast as possible
        --max-pending N      connects in flight at once per process (1000)
        --heartbeat-ms MS    heartbeat / MQTT keep-alive (30000; MQTT rounds up to whole seconds)
        --hold-s S           hold all sessions, heartbeating, for S seconds after the ramp (10)
        --silent SHARE       share of devices that then go silent at once, socket left open (0)
        --grace-ms MS        after the silence, wait up to timeout + MS for the closes (5000)
        --prefix P           device ids are P0, P1, ... (load-)
        --per-process N      devices per process; more devices spawn more processes
                             (18000; 1000000 when every device is UDP, which needs no descriptor)
        --broker-pid PID     sample the broker's RSS and CPU from /proc (same machine only)
        --json FILE          also write the report as JSON
        --progress-s S       progress line every S seconds (5)
        --tls-ca FILE        tcp, mqtt and websocket devices connect over TLS (a full handshake each),
                             trusting the PEM CA certificate(s) in FILE; give the TLS ports as ports
        --storm 0|1          reconnect storm (0): after the hold, every process cuts all its tcp, mqtt
                             and websocket sockets at once and reconnects them under --rate and
                             --max-pending; reports the time from the cut to the last welcome and the
                             cut sessions' close events (the broker's connect limits must allow it)
        --rehearse N         before the measured run, each process runs an unmeasured mass close of N
                             devices of the same transports (all silent, 1 s hold, ids P + rehearsal-N;
                             in rounds of at most its own devices), so that its own close path is
                             compiled before it measures the broker's (0)
        --warm-connects N    before the measured run, each process connects N devices of the same
                             transports (ids P + warmup-N; in rounds of at most its own devices), closes
                             them and waits until the broker has announced their closes, so that its own
                             connect path is compiled before it measures the broker's connects (0)
        --closes-file FILE   also write one line per silent device: id, transport, the last heartbeat
                             sent + timeout, the close seen, polled and the bye, in System.nanoTime
                             (CLOCK_MONOTONIC, comparable with the broker's on the same machine); a
                             worker process of several appends .FIRST to the name
      """
          + CommandOptions.HELP;

  /** Parses the command line; unknown options are errors. */
  public static LoadOptions parse(String[] args) {
    Map<String, String> v = new LinkedHashMap<>();
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      throw new IllegalArgumentException(HELP);
    }
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option VALUE at " + args[i] + "\n" + HELP);
      }
      v.put(args[i].substring(2), args[++i]);
    }
    CommandOptions commands =
        CommandOptions.parse(
            v,
            v.getOrDefault("host", "127.0.0.1"),
            Integer.parseInt(v.getOrDefault("bridge-port", "7900")));
    List<Transport> transports = transports(str(v, "transports", "tcp"));
    int perProcessDefault =
        transports.stream().anyMatch(Transport::holdsSocket)
            ? DEFAULT_PER_PROCESS
            : DEFAULT_PER_PROCESS_UDP;
    LoadOptions o =
        new LoadOptions(
            str(v, "host", "127.0.0.1"),
            num(v, "tcp-port", 7000),
            num(v, "mqtt-port", 1883),
            num(v, "ws-port", 7080),
            str(v, "ws-path", "/devices"),
            num(v, "udp-port", 7001),
            num(v, "udp-sockets", 64),
            num(v, "bridge-port", 7900),
            transports,
            num(v, "devices", 1000),
            num(v, "rate", 1000),
            num(v, "max-pending", 1000),
            num(v, "heartbeat-ms", 30_000),
            num(v, "hold-s", 10),
            Double.parseDouble(str(v, "silent", "0")),
            num(v, "grace-ms", 5000),
            str(v, "prefix", "load-"),
            num(v, "per-process", perProcessDefault),
            num(v, "broker-pid", 0),
            str(v, "json", null),
            num(v, "progress-s", 5),
            commands,
            num(v, "first", 0),
            num(v, "workers", 1),
            str(v, "tls-ca", null),
            num(v, "storm", 0) == 1,
            num(v, "rehearse", 0),
            num(v, "warm-connects", 0),
            str(v, "closes-file", null));
    if (!v.isEmpty()) {
      throw new IllegalArgumentException("unknown option(s) " + v.keySet() + "\n" + HELP);
    }
    return o;
  }

  /** The command line that gives a worker process {@code range} of these devices. */
  public List<String> workerArgs(ProcessPlan.Range range, int workerCount) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--host",
                host,
                "--tcp-port",
                "" + tcpPort,
                "--mqtt-port",
                "" + mqttPort,
                "--ws-port",
                "" + wsPort,
                "--ws-path",
                wsPath,
                "--udp-port",
                "" + udpPort,
                "--udp-sockets",
                "" + udpSockets,
                "--bridge-port",
                "" + bridgePort,
                "--transports",
                String.join(",", transports.stream().map(Transport::label).toList())));
    a.addAll(
        List.of(
            "--devices",
            "" + range.count(),
            "--rate",
            "" + ratePerS,
            "--max-pending",
            "" + maxPending,
            "--heartbeat-ms",
            "" + heartbeatMs,
            "--hold-s",
            "" + holdS,
            "--silent",
            "" + silentShare,
            "--grace-ms",
            "" + graceMs,
            "--prefix",
            prefix,
            "--progress-s",
            "" + progressS,
            "--first",
            "" + range.first(),
            "--workers",
            "" + workerCount));
    if (tlsCa != null) {
      a.addAll(List.of("--tls-ca", tlsCa));
    }
    if (storm) {
      a.addAll(List.of("--storm", "1"));
    }
    if (rehearse > 0) {
      a.addAll(List.of("--rehearse", "" + rehearse));
    }
    if (warmConnects > 0) {
      a.addAll(List.of("--warm-connects", "" + warmConnects));
    }
    if (closesFile != null) {
      a.addAll(List.of("--closes-file", closesFile + "." + range.first()));
    }
    return a;
  }

  /**
   * The options of the {@code --rehearse} run: {@link #rehearse} devices of the same transports and
   * heartbeat, all silent, a 1 s hold, prefix {@code PREFIX + "rehearsal-"}; no report file, no
   * commands, no storm.
   */
  public LoadOptions rehearsal() {
    return unmeasured(bridgePort, Math.min(rehearse, devices), Math.min(holdS, 1), 1, "rehearsal-");
  }

  /**
   * The options of one round of the {@code --warm-connects} run: {@link #warmConnects} devices of
   * the same transports, at most as many at once as this process drives ({@link #devices}: never
   * more sockets than the measured run holds), as fast as the run's own ramp, no hold, none silent,
   * prefix {@code PREFIX + "warmup-"}; no bridge of its own ({@link Rehearsal} watches the closes),
   * no report file, no commands, no storm.
   */
  public LoadOptions connectWarmUp() {
    return unmeasured(0, Math.min(warmConnects, devices), 0, 0, "warmup-");
  }

  /**
   * An unmeasured run of this one's transports, ports, rate and heartbeat: its own devices (prefix
   * {@code PREFIX + idsAfterPrefix}), no report file, no commands, no storm, no run of its own
   * before it.
   */
  private LoadOptions unmeasured(
      int bridge, int count, long hold, double silent, String idsAfterPrefix) {
    return new LoadOptions(
        host,
        tcpPort,
        mqttPort,
        wsPort,
        wsPath,
        udpPort,
        udpSockets,
        bridge,
        transports,
        count,
        ratePerS,
        maxPending,
        heartbeatMs,
        hold,
        silent,
        graceMs,
        prefix + idsAfterPrefix,
        perProcess,
        brokerPid,
        null,
        progressS,
        new CommandOptions(0, 1, commands.host(), commands.port(), 1, false),
        first,
        workers,
        tlsCa,
        false,
        0,
        0,
        null);
  }

  /** The broker port of a transport. */
  public int portOf(Transport t) {
    return switch (t) {
      case TCP -> tcpPort;
      case MQTT -> mqttPort;
      case WEBSOCKET -> wsPort;
      case UDP -> udpPort;
    };
  }

  /** The device's transport: devices take the listed transports in turn. */
  public Transport transportOf(int index) {
    return transports.get(index % transports.size());
  }

  /** Whether device {@code index} goes silent: spread evenly, exactly floor(N × share) of them. */
  public boolean silent(int index) {
    return Math.floor((index + 1) * silentShare) > Math.floor(index * silentShare);
  }

  private static List<Transport> transports(String list) {
    List<Transport> t = new ArrayList<>();
    for (String name : list.split(",")) {
      t.add(Transport.parse(name));
    }
    return t;
  }

  private static String str(Map<String, String> v, String key, String dflt) {
    String s = v.remove(key);
    return s == null ? dflt : s;
  }

  private static int num(Map<String, String> v, String key, int dflt) {
    String s = v.remove(key);
    return s == null ? dflt : Integer.parseInt(s);
  }
}

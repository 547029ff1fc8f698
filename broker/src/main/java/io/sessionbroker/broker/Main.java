package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** The command line: {@code bin/broker [run|watch|token|config] [--conf FILE] ...}. */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  static final String USAGE =
      """
      Usage: bin/broker [COMMAND] [OPTIONS]

      Commands:
        run                 start a broker node on the configuration (the default command)
        watch [ADDRESS...]  print events from a running broker as JSON lines, one per event, like mosquitto_sub;
                            default addresses: sessions.opened sessions.closed sessions.rejected
        token DEVICE        print the authentication token of DEVICE (needs auth.secret)
        config              print the effective configuration (file plus environment overrides)

      Options:
        --conf FILE         configuration file (default: conf/broker.json)
        --cluster           join a cluster of broker nodes over Hazelcast (conf/cluster.xml)
        --port-offset N     add N to every listener port (tcp, udp, mqtt, websocket, bridge, http, TLS ports): nodes on
                            one machine, e.g. --cluster, --cluster --port-offset 10, --cluster --port-offset 20
        --help              this text

      Options of watch:
        --host HOST         bridge host (default: bridge.host of the configuration)
        --port PORT         bridge port (default: bridge.port of the configuration)

      Every setting of the configuration file can be overridden from the environment:
      tcp.port -> BROKER_TCP_PORT, table.tickMs -> BROKER_TABLE_TICK_MS, auth.secret -> BROKER_AUTH_SECRET.
      """;

  private Main() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (IllegalArgumentException e) {
      System.err.println("broker: " + e.getMessage());
      System.exit(2);
    }
  }

  static int run(String[] args) throws IllegalArgumentException {
    Arguments arguments = Arguments.parse(args);
    if (arguments.help) {
      System.out.print(USAGE);
      return 0;
    }
    JsonObject json = ConfigLoader.load(arguments.conf, System.getenv());
    ConfigLoader.shiftPorts(json, arguments.portOffset);
    if (arguments.cluster) {
      json.put("cluster", json.getJsonObject("cluster", new JsonObject()).put("enabled", true));
    }
    Path baseDir = arguments.conf.toAbsolutePath().getParent();
    return switch (arguments.command) {
      case "run" -> serve(BrokerConfig.fromJson(json, baseDir));
      case "watch" -> Watch.run(json, arguments.rest);
      case "token" -> token(BrokerConfig.fromJson(json, baseDir), arguments.rest);
      case "config" -> {
        System.out.println(json.encodePrettily());
        yield 0;
      }
      default ->
          throw new IllegalArgumentException(
              "unknown command " + arguments.command + "; see --help");
    };
  }

  private static int serve(BrokerConfig config) {
    long started = System.nanoTime();
    Broker broker;
    try {
      // Joining a cluster can take a while on a busy machine; a standalone node is ready in well
      // under a second.
      broker = Broker.start(config).await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println(
          "broker: failed to start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop =
        () -> {
          try {
            broker.stop().await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            log.error("broker_stop_failed", e);
          } finally {
            stopped.countDown();
          }
        };
    // SIGTERM and SIGINT: close every session with SHUTDOWN, announce it, then exit 0. Installed
    // before the
    // "ready" line: whoever stops the broker as soon as it is ready (a supervisor, a test) must get
    // this graceful
    // stop, not the JVM's default exit (status 143, no SHUTDOWN closes announced).
    Signal.handle(new Signal("TERM"), signal -> new Thread(stop, "broker-stop").start());
    Signal.handle(new Signal("INT"), signal -> new Thread(stop, "broker-stop").start());
    for (String listener : broker.listeners()) {
      System.out.println("listening " + listener);
    }
    System.out.printf(
        "broker %s ready in %d ms (native transport: %s)%n",
        broker.nodeId(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        broker.vertx().isNativeTransportEnabled());
    // A latch, not wait/notify: a stop that is over before this thread gets here must not be
    // missed.
    while (stopped.getCount() > 0) {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        // only a stop ends the node
      }
    }
    System.out.println("broker " + broker.nodeId() + " stopped");
    return 0;
  }

  private static int token(BrokerConfig config, List<String> devices) {
    if (devices.size() != 1) {
      throw new IllegalArgumentException("usage: bin/broker token DEVICE");
    }
    if (!config.auth().required()) {
      throw new IllegalArgumentException(
          "auth.secret is not set (BROKER_AUTH_SECRET): tokens are not in use");
    }
    System.out.println(config.auth().tokenFor(devices.get(0)));
    return 0;
  }

  /** The parsed command line. */
  record Arguments(
      String command, Path conf, boolean help, boolean cluster, int portOffset, List<String> rest) {

    static Arguments parse(String[] args) {
      String command = null;
      Path conf = Path.of("conf", "broker.json");
      boolean help = false;
      boolean cluster = false;
      int portOffset = 0;
      List<String> rest = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--help", "-h" -> help = true;
          case "--conf" -> conf = Path.of(value(args, ++i, "--conf"));
          case "--cluster" -> cluster = true;
          case "--port-offset" ->
              portOffset = integer(value(args, ++i, "--port-offset"), "--port-offset");
          default -> {
            if (command == null && !args[i].startsWith("-")) {
              command = args[i];
            } else {
              rest.add(args[i]);
            }
          }
        }
      }
      return new Arguments(
          command == null ? "run" : command, conf, help, cluster, portOffset, rest);
    }

    static int integer(String text, String option) {
      try {
        return Integer.parseInt(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " needs a number, got " + text);
      }
    }

    static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }
  }
}

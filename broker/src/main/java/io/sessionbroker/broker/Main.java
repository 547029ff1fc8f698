package io.sessionbroker.broker;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The command line, {@code bin/broker [COMMAND] [OPTIONS]}: one picocli command per subcommand,
 * each declaring its own options. Exit codes: 0 done, 1 failed (the broker could not start, is not
 * reachable, refused the request), 2 wrong usage (an unknown option or command, a stray argument, a
 * setting that does not pass its checks).
 *
 * <p>{@code --conf} and {@code --port-offset} are inherited: every subcommand takes them, since
 * every one reads the configuration (the admin commands find the broker's address in it).
 */
@Command(
    name = "bin/broker",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    usageHelpWidth = 110,
    description = "Run a session broker node, or talk to a running one.",
    synopsisSubcommandLabel = "[COMMAND]",
    subcommands = {
      RunCommand.class,
      WatchCommand.class,
      SessionsCommand.class,
      BansCommand.class,
      EventsCommand.class,
      TokenCommand.class,
      PasswdCommand.class,
      ConfigCommand.class
    },
    footerHeading = "%n",
    footer = {
      "Without a command, runs the broker (as 'run'). 'bin/broker COMMAND --help' shows a command's options.",
      "Every setting can be set in the environment: tcp.port -> BROKER_TCP_PORT, table.tickMs ->",
      "BROKER_TABLE_TICK_MS, http.adminToken -> BROKER_HTTP_ADMIN_TOKEN (docs/configuration.md).",
      "Exit codes: 0 done, 1 failed, 2 wrong usage or configuration."
    })
public final class Main implements Callable<Integer> {

  /** Where the configuration is read when {@code --conf} is not given (bin/broker sets it). */
  static final String DEFAULT_CONF_PROPERTY = "broker.conf";

  @Option(
      names = "--conf",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "configuration file (default: conf/broker.json; without it, the defaults)")
  Path conf;

  @Option(
      names = "--port-offset",
      paramLabel = "N",
      scope = ScopeType.INHERIT,
      description =
          "add N to every port setting (tcp, udp, mqtt, websocket, bridge, http, and the TLS ports):"
              + " several nodes on "
              + "one machine, e.g. --cluster, --cluster --port-offset 100")
  int portOffset;

  @Option(names = "--cluster", description = "join a cluster of broker nodes (conf/cluster.xml)")
  boolean cluster;

  final Map<String, String> env;

  Main(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(
        execute(
            args,
            System.getenv(),
            new PrintWriter(System.out, true),
            new PrintWriter(System.err, true)));
  }

  /** Runs the command line; returns the exit code. */
  static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine line = new CommandLine(new Main(env));
    line.setOut(out);
    line.setErr(err);
    line.setParameterExceptionHandler(Main::usageError);
    line.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          // A setting or argument that does not pass its checks is the operator's to fix: usage.
          boolean usage = e instanceof IllegalArgumentException;
          commandLine.getErr().println("broker: " + (e.getMessage() == null ? e : e.getMessage()));
          return usage ? 2 : 1;
        });
    return line.execute(args);
  }

  /**
   * A mistake on the command line: what is wrong, what was probably meant, the synopsis of the
   * command it was given to; exit code 2. Nothing runs.
   */
  static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println("broker: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.print("Usage: " + command.getHelp().synopsis(0));
    err.println(
        "Try '" + command.getCommandSpec().qualifiedName() + " --help' for more information.");
    return 2;
  }

  /** No command: run the broker. */
  @Override
  public Integer call() {
    return RunCommand.run(this, cluster);
  }

  /**
   * Refuses {@code --cluster} before a command it means nothing to ({@code bin/broker --cluster
   * sessions list}): only {@code run} and {@code config} take it.
   */
  void refuseClusterFlag(String command) {
    if (cluster) {
      throw new IllegalArgumentException("--cluster applies to run and config, not to " + command);
    }
  }

  /** The effective configuration: defaults, file, environment, then these flags. */
  EffectiveConfig configuration(boolean clustered) {
    return ConfigLoader.resolve(confFile(), env, new ConfigLoader.Flags(portOffset, clustered));
  }

  /**
   * The configuration file: {@code --conf}, else {@code conf/broker.json} (bin/broker names its
   * absolute path) when it exists; null to run on the defaults.
   */
  Path confFile() {
    if (conf != null) {
      return conf;
    }
    Path fallback = Path.of(System.getProperty(DEFAULT_CONF_PROPERTY, "conf/broker.json"));
    return Files.exists(fallback) ? fallback : null;
  }

  /** Relative file names in the configuration (cluster.configFile) are resolved here. */
  Path baseDir() {
    Path file = confFile();
    return file == null ? Path.of("conf").toAbsolutePath() : file.toAbsolutePath().getParent();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"session broker " + (version == null ? "(development build)" : version)};
    }
  }

  /** Runs a node until it is stopped; the exit code. For {@link RunCommand}. */
  static int runNode(BrokerConfig config) {
    return serve(config);
  }

  private static int serve(BrokerConfig config) {
    long started = System.nanoTime();
    Broker broker;
    try {
      // Joining a cluster can take a while on a busy machine; a standalone node is ready in well
      // under a second.
      PortCheck.ensureFree(config); // at once, not after the start-up rehearsal (Warmup)
      broker = Broker.start(config).await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println(
          "broker: failed to start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean failed = new AtomicBoolean();
    Runnable stop =
        () -> {
          try {
            // 30 s for closing the sessions and Vert.x, plus the configured drain and grace
            long bound = 30_000L + config.shutdownMaxDrainMs() + config.shutdownGraceMs();
            broker.stop().await(bound, TimeUnit.MILLISECONDS);
          } catch (Exception e) {
            // The process exits all the same (exit code 0, as before: the node is gone). Nothing is
            // lost by that: the stop
            // releases a session's directory entry only once its close is in the event log, so the
            // sessions it did not finish are still the node's in the directory, and the others
            // announce them NODE_LOST when it leaves, as for a crash (docs/cluster.md, "A stop that
            // overruns").
            failed.set(true);
            LoggerFactory.getLogger(Main.class).error("broker_stop_failed", e);
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
    // SIGHUP: re-read the TLS certificates now (docs/security.md), as the file watch would. The JDK
    // has no public signal API; sun.misc.Signal (module jdk.unsupported, kept for exactly this) is
    // what TERM and INT use above already, and a library (jnr-posix, a JNI wrapper) would add a
    // native dependency for one handler. The handler runs on the JVM's signal thread: it only
    // publishes; each listener reloads on its own context.
    // A process that starts with SIGHUP ignored (nohup, some supervisors) keeps it ignored: the JVM
    // does not install a handler then, and says so only by the previous disposition it returns.
    SignalHandler hup = Signal.handle(new Signal("HUP"), signal -> broker.reloadCertificates());
    if (hup == SignalHandler.SIG_IGN && config.tls() != null) {
      LoggerFactory.getLogger(Main.class)
          .warn(
              "sighup_ignored: this process was started with SIGHUP ignored (nohup?), so kill -HUP"
                  + " does not reload the TLS certificates; the file check (tls.reloadCheckMs)"
                  + " still does");
    }
    for (String listener : broker.listeners()) {
      System.out.println("listening " + listener);
    }
    // One write: printf writes its pieces one by one, and a log line written meanwhile landed in
    // the
    // middle of this one ("ready in <log line> 16345 ms"), so whoever waited for it never saw it.
    System.out.println(
        String.format(
            "broker %s ready in %d ms (native transport: %s)",
            broker.nodeId(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
            broker.vertx().isNativeTransportEnabled()));
    // A latch, not wait/notify: a stop that is over before this thread gets here must not be
    // missed.
    while (stopped.getCount() > 0) {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        // only a stop ends the node
      }
    }
    if (failed.get()) {
      System.out.println("broker " + broker.nodeId() + " stop overran its bound: exiting");
      return 0;
    }
    System.out.println("broker " + broker.nodeId() + " stopped");
    return 0;
  }
}

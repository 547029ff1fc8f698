package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bin/broker run}: starts a broker node on the effective configuration; the default. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Start a broker node (the default command). Ctrl-C or SIGTERM stops it gracefully.")
final class RunCommand implements Callable<Integer> {

  /** logback.xml reads the level and the format from these, once, when the first logger is made. */
  static final String LOG_LEVEL_PROPERTY = "broker.log.level";

  static final String LOG_FORMAT_PROPERTY = "broker.log.format";

  @ParentCommand Main main;

  @Option(names = "--cluster", description = "join a cluster of broker nodes (conf/cluster.xml)")
  boolean cluster;

  @Override
  public Integer call() {
    return run(main, cluster || main.cluster);
  }

  static int run(Main main, boolean cluster) {
    EffectiveConfig effective = main.configuration(cluster);
    // Before anything logs: nothing has made a logger yet (Main keeps none in a static field, and
    // ConfigLoader reads JSON without Vert.x's codec, which makes one). In a JVM whose logging is
    // set up already (a test's), level and format stay as they are.
    JsonObject log = effective.json().getJsonObject("log", new JsonObject());
    System.setProperty(LOG_LEVEL_PROPERTY, log.getString("level", "info"));
    System.setProperty(LOG_FORMAT_PROPERTY, log.getString("format", "text"));
    return Main.runNode(BrokerConfig.fromJson(effective.json(), main.baseDir()));
  }
}

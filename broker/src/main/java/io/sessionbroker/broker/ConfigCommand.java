package io.sessionbroker.broker;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/broker config}: the configuration a broker would run on with the same file,
 * environment and flags, each value with its origin; checked exactly as {@code run} checks it, so a
 * mistake shows here first. Secrets are not printed.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = {
      "Print the effective configuration, each value with its origin (default, file, env, flag).",
      "Checks it as 'run' would; secrets are hidden."
    })
final class ConfigCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--cluster", description = "as 'run --cluster' would see it")
  boolean cluster;

  @Option(
      names = "--json",
      description = "the effective configuration as one JSON document, without origins")
  boolean json;

  @Override
  public Integer call() {
    EffectiveConfig effective = main.configuration(cluster || main.cluster);
    // The same checks as run: a combination the records refuse (a listener beyond loopback without
    // auth.secret) fails here too.
    BrokerConfig.fromJson(effective.json(), main.baseDir());
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(effective.redacted().encodePrettily());
    } else {
      java.nio.file.Path file = main.confFile();
      out.println(
          "# "
              + (file == null
                  ? "no configuration file: the defaults"
                  : "file: " + file.toAbsolutePath().normalize()));
      effective.describe().forEach(out::println);
    }
    return 0;
  }
}

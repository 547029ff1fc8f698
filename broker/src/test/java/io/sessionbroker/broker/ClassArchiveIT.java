package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies, from outside, what {@code bin/broker} does with its class data sharing archive (AppCDS,
 * docs/benchmarks.md "Cold JVM"): the first node writes one as it stops, the next start maps it,
 * and an archive the JVM cannot use or one of another jar never stops a node from starting.
 */
@Timeout(180)
class ClassArchiveIT {

  private static final Path BIN_BROKER = Path.of("..", "bin", "broker");

  @TempDir Path dir;

  /**
   * Verifies that a node started by {@code bin/broker} with no archive writes one as it stops
   * ({@code broker-KEY.jsa.PID}), that the next start adopts it and loads the broker's classes from
   * it ("source: shared objects file" in the JVM's class-load log), that an archive of another jar
   * is removed, and that a node whose archive is garbage still starts — loading its classes from
   * the jar — and stops cleanly.
   */
  @Test
  void writesAnArchiveOnceMapsItAfterwardsAndStartsWithoutAnUnusableOne() throws Exception {
    // given: no archive yet, and one of another jar
    Path archives = Files.createDirectory(dir.resolve("cds"));
    Path conf = conf();
    Files.writeString(archives.resolve("broker-1-2-3.jsa"), "another jar's");

    // when: a first node starts and stops
    List<String> first = startAndStop(conf, archives, "first");

    // then: it wrote an archive under its own name, and the other jar's is gone
    assertThat(mainSource(first)).doesNotContain("shared objects file");
    assertThat(names(archives)).singleElement().asString().matches("broker-.*\\.jsa\\.\\d+");

    // when: the next node starts, it adopts the archive and maps the broker's classes from it
    List<String> second = startAndStop(conf, archives, "second");
    assertThat(names(archives)).singleElement().asString().matches("broker-.*\\.jsa");
    assertThat(mainSource(second)).startsWith("shared objects file");

    // when: the archive is damaged
    Path archive = archives.resolve(names(archives).get(0));
    archive.toFile().setWritable(true);
    Files.write(archive, new byte[64 * 1024]);

    // then: the node still starts, its classes from the jar, and stops
    List<String> third = startAndStop(conf, archives, "third");
    assertThat(mainSource(third)).doesNotContain("shared objects file").contains("broker.jar");
  }

  /** Starts a node through bin/broker, waits for "ready", stops it with SIGTERM; its class log. */
  private List<String> startAndStop(Path conf, Path archives, String name) throws Exception {
    Path classes = dir.resolve(name + "-classes.log");
    Path output = dir.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(BIN_BROKER.toString(), "--conf", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    Map<String, String> env = builder.environment();
    env.put("BROKER_CDS_DIR", archives.toString());
    env.put("BROKER_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
    env.put(
        "PATH",
        Path.of(ProcessOutput.javaBinary()).getParent()
            + File.pathSeparator
            + System.getenv("PATH"));
    Process node = builder.start();
    try {
      Awaitility.await(name + " ready")
          .atMost(Duration.ofSeconds(60))
          .until(() -> !node.isAlive() || Files.readString(output).contains(" ready in "));
      assertThat(node.isAlive()).as("%s: %s", name, Files.readString(output)).isTrue();
      new ProcessBuilder("kill", "-TERM", String.valueOf(node.pid())).start().waitFor();
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("%s stopped", name).isTrue();
      assertThat(node.exitValue()).as("%s: %s", name, Files.readString(output)).isZero();
    } finally {
      node.destroyForcibly();
    }
    return Files.readAllLines(classes);
  }

  /** The shipped configuration on free ports, without the start-up rehearsal. */
  private Path conf() throws Exception {
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    conf.getJsonObject("node").put("warmupCloses", 0);
    conf.getJsonObject("bridge").put("port", BrokerHarness.freePort());
    conf.getJsonObject("http").put("port", 0);
    for (TransportName listener : TransportName.values()) {
      if (conf.containsKey(listener.id())) {
        conf.getJsonObject(listener.id()).put("port", 0);
      }
    }
    return Files.writeString(dir.resolve("broker.json"), conf.encodePrettily());
  }

  /**
   * Where the JVM took the broker's main class from, as its class-load log says: {@code shared
   * objects file (top)} from the archive, the jar otherwise. (The JDK's own classes come from the
   * JDK's archive either way.)
   */
  private static String mainSource(List<String> classLog) {
    String marker = " " + Main.class.getName() + " source: ";
    return classLog.stream()
        .filter(line -> line.contains(marker))
        .map(line -> line.substring(line.indexOf(marker) + marker.length()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("Main was never loaded: " + classLog.size()));
  }

  private static List<String> names(Path archives) throws Exception {
    try (Stream<Path> files = Files.list(archives)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

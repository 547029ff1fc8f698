package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Verifies, from outside, what {@code bin/broker} does with its class data sharing archive (AppCDS,
 * docs/benchmarks.md "Cold JVM"; on Java 25 an AOT cache): the first node writes one as it stops,
 * the next start maps it, and an archive the JVM cannot use or one of another jar never stops a
 * node from starting. With the JDK that runs the tests, and with a Java 25 or later of this machine
 * when there is one (bin/broker takes {@code JAVA_HOME}).
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
  @ParameterizedTest
  @MethodSource("jdks")
  void writesAnArchiveOnceMapsItAfterwardsAndStartsWithoutAnUnusableOne(Path javaHome)
      throws Exception {
    // given: no archive yet, and one of another jar (and of the other kind)
    String kind = featureVersion(javaHome) >= 25 ? "aot" : "jsa";
    Path archives = Files.createDirectory(dir.resolve("cds"));
    Path conf = conf();
    Files.writeString(archives.resolve("broker-1-2-3.jsa"), "another jar's");
    Files.writeString(archives.resolve("broker-1-2-3.aot"), "another jar's");

    // when: a first node starts and stops
    List<String> first = startAndStop(javaHome, conf, archives, "first");

    // then: it wrote an archive under its own name, and the other jar's are gone
    assertThat(mainSource(first)).doesNotContain("shared objects file");
    assertThat(names(archives))
        .singleElement()
        .asString()
        .matches("broker-.*\\." + kind + "\\.\\d+");

    // and: another node of the same jar and JDK (a cluster's, on one machine) wrote one too; its
    // pid,
    // above pid_max, is no running process
    Path written = archives.resolve(names(archives).get(0));
    Files.copy(
        written,
        archives.resolve(written.getFileName().toString().replaceAll("\\d+$", "99999999")));

    // when: the next node starts, it adopts one archive, removes the other and maps the broker's
    // classes from it
    List<String> second = startAndStop(javaHome, conf, archives, "second");
    assertThat(names(archives)).singleElement().asString().matches("broker-.*\\." + kind);
    assertThat(mainSource(second)).startsWith("shared objects file");

    // and: on Java 25 the node runs with compact object headers, on 17 without G1's preventive
    // collections (a flag 21 and later refuse: the JVM would not start); its flags, as the JVM
    // printed them
    String flags = Files.readString(dir.resolve("second.log")).lines().findFirst().orElse("");
    if (kind.equals("aot")) {
      assertThat(flags).contains("-XX:+UseCompactObjectHeaders");
    } else {
      assertThat(flags)
          .doesNotContain("UseCompactObjectHeaders")
          .contains("-XX:+UseG1GC", "-XX:-G1UsePreventiveGC");
    }
    // and: on both, without the JIT's back-pressure from a long C2 queue (bin/broker, jit_opts);
    // Tier3DelayOn at its default (new methods still wait at tier 2 while C2 is busy); promotion
    // buffers of a fixed size and survivors promoted at once (bin/broker, heap_opts)
    assertThat(flags)
        .contains("-XX:Tier4LoadFeedback=1000", "-XX:-ResizePLAB", "-XX:MaxTenuringThreshold=0")
        .doesNotContain("Tier3DelayOn");
    // and: the JVM warned of nothing (Java 22 and later do when Netty loads its native library)
    assertThat(Files.readAllLines(dir.resolve("second.log")))
        .noneMatch(line -> line.startsWith("WARNING:"));

    // when: the archive is damaged
    Path archive = archives.resolve(names(archives).get(0));
    archive.toFile().setWritable(true);
    Files.write(archive, new byte[64 * 1024]);

    // then: the node still starts, its classes from the jar, and stops
    List<String> third = startAndStop(javaHome, conf, archives, "third");
    assertThat(mainSource(third)).doesNotContain("shared objects file").contains("broker.jar");
  }

  /**
   * The JDK that runs this test, and the newest Java 25 or later under {@code /usr/lib/jvm} if it
   * is another one (its archive is an AOT cache).
   */
  static Stream<Path> jdks() throws Exception {
    Path own = Path.of(System.getProperty("java.home")).toRealPath();
    Path jvms = Path.of("/usr/lib/jvm");
    if (featureVersion(own) >= 25 || !Files.isDirectory(jvms)) {
      return Stream.of(own);
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      List<Path> newer =
          homes
              .filter(home -> Files.isExecutable(home.resolve("bin/java")))
              .filter(home -> featureVersion(home) >= 25)
              .sorted((a, b) -> featureVersion(b) - featureVersion(a))
              .limit(1)
              .toList();
      return Stream.concat(Stream.of(own), newer.stream());
    }
  }

  /** The JDK's feature version from its {@code release} file (17 for "17.0.15"); 0 if unknown. */
  static int featureVersion(Path javaHome) {
    try {
      for (String line : Files.readAllLines(javaHome.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=\"")) {
          return Integer.parseInt(line.substring(14).split("[.\"]")[0]);
        }
      }
    } catch (Exception e) {
      // no release file, or not the usual shape: not a JDK this test can tell
    }
    return 0;
  }

  /**
   * Starts a node through bin/broker, waits for "ready", stops it with SIGTERM; its class log. The
   * log's name carries the JVM's pid (bin/broker execs it): on Java 25 the node that writes an AOT
   * cache starts a second JVM to assemble it, with the node's options and so its own class log.
   */
  private List<String> startAndStop(Path javaHome, Path conf, Path archives, String name)
      throws Exception {
    Path output = dir.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(BIN_BROKER.toString(), "--conf", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    Map<String, String> env = builder.environment();
    env.put("BROKER_CDS_DIR", archives.toString());
    env.put(
        "BROKER_JAVA_OPTS",
        "-XX:+PrintCommandLineFlags -Xlog:class+load=info:file="
            + dir.resolve(name + "-classes-%p.log"));
    env.put("JAVA_HOME", javaHome.toString());
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
    return Files.readAllLines(dir.resolve(name + "-classes-" + node.pid() + ".log"));
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

package io.sessionbroker.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * A broker node in a process of its own, started from the test classpath with {@code Main --cluster
 * --port-offset N --conf FILE}, as an operator would start it. Its output goes to a log file next
 * to the conf. It can be stopped gracefully (SIGTERM), killed (SIGKILL), frozen (SIGSTOP) and
 * resumed (SIGCONT).
 */
final class BrokerProcess implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("broker (\\S+) ready in (\\d+) ms");

  final int portOffset;
  final Path log;
  private final Process process;
  private String nodeId;

  private BrokerProcess(int portOffset, Path log, Process process) {
    this.portOffset = portOffset;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts a node; {@code jvmOptions} e.g. a heap size. Returns at once: see {@link #awaitReady}.
   */
  static BrokerProcess start(Path conf, int portOffset, List<String> jvmOptions)
      throws IOException {
    return start(conf, portOffset, jvmOptions, List.of(), Map.of());
  }

  /**
   * As {@link #start(Path, int, List)}, run by {@code wrapper} (e.g. {@code ip netns exec NS},
   * which execs the JVM: the process is still the broker's) with {@code env} added.
   */
  static BrokerProcess start(
      Path conf,
      int portOffset,
      List<String> jvmOptions,
      List<String> wrapper,
      Map<String, String> env)
      throws IOException {
    Path log = conf.resolveSibling("node-" + portOffset + "-" + System.nanoTime() + ".log");
    List<String> command = new ArrayList<>(wrapper);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.addAll(
        List.of(
            Main.class.getName(),
            "--cluster",
            "--port-offset",
            String.valueOf(portOffset),
            "--conf",
            conf.toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new BrokerProcess(portOffset, log, process);
  }

  /** Waits for the "ready" line and returns the node id (its Hazelcast member id). */
  String awaitReady(Duration timeout) {
    nodeId = awaitLog(READY, timeout).group(1);
    return nodeId;
  }

  /**
   * Waits until the node's log has a line matching {@code line} and returns the first match. The
   * log file is the only window into another process, so it is polled (Awaitility); a node that
   * exits fails at once.
   */
  MatchResult awaitLog(Pattern line, Duration timeout) {
    return awaitLog(0, line, timeout);
  }

  /**
   * As {@link #awaitLog(Pattern, Duration)}, for a line written after the first {@code from}
   * characters of the log ({@link #logLength}).
   */
  MatchResult awaitLog(long from, Pattern line, Duration timeout) {
    return Awaitility.await("node " + portOffset + " logs " + line)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> find(from, line), Objects::nonNull);
  }

  /**
   * How many characters the node's log has now (see {@link #awaitLog(long, Pattern, Duration)}).
   */
  long logLength() throws IOException {
    return Files.readString(log).length();
  }

  private MatchResult find(long from, Pattern line) throws IOException {
    String text = Files.readString(log);
    Matcher matcher = line.matcher(text);
    if (from <= text.length() && matcher.find((int) from)) {
      return matcher.toMatchResult();
    }
    if (!process.isAlive()) {
      throw new IllegalStateException("node " + portOffset + " exited: " + Files.readString(log));
    }
    return null;
  }

  String nodeId() {
    return nodeId;
  }

  /** The last {@code lines} lines of the node's log, for a failure's message. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: the process dies at once, its sockets are reset by the kernel. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: the broker closes its sessions with SHUTDOWN, announces them and exits. */
  int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node " + portOffset + " did not stop within " + timeout);
    }
    return process.exitValue();
  }

  void freeze() throws IOException, InterruptedException {
    signal("STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    int exit =
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid()))
            .inheritIO()
            .start()
            .waitFor();
    if (exit != 0) {
      throw new IllegalStateException("kill -" + name + " failed: " + exit);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}

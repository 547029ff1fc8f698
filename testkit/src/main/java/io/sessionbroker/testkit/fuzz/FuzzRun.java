package io.sessionbroker.testkit.fuzz;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a fuzzer's tries in parallel and keeps score: what each try ended in (the reach: which
 * answers of the broker the inputs got to), the tries that broke a property (findings), and the
 * tries that hit a known bug another change fixes (counted and shown, not failed).
 *
 * <p>A try returns a short label of what happened ("rejected bad_frame", "session PROTOCOL_ERROR");
 * a label that starts with {@link #KNOWN_BUG} is a known bug's; an {@link AssertionError} is a
 * finding, and so is any other exception (a fuzzer that fails on its own is a finding too). The
 * report goes to standard output and to {@code target/fuzz/<wire>.txt}.
 */
public final class FuzzRun {

  /** The label prefix of a try that hit a known bug, whose fix is on its way. */
  public static final String KNOWN_BUG = "known bug: ";

  /** How many examples of each finding or known bug the report shows. */
  private static final int EXAMPLES = 5;

  /** One try. */
  @FunctionalInterface
  public interface Trial {
    /**
     * Sends try {@code index}'s input (drawn from {@code random}) and checks what the broker did.
     *
     * @return what happened, for the reach table
     * @throws AssertionError when the broker broke a property
     */
    String run(int index, Random random) throws Exception;
  }

  /** What a run found. */
  public static final class Report {
    private final String wire;
    private final FuzzBudget budget;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final Map<String, List<String>> knownBugs = new TreeMap<>();
    private final List<String> findings = new ArrayList<>();
    private int tries;
    private long elapsedMs;

    Report(String wire, FuzzBudget budget) {
      this.wire = wire;
      this.budget = budget;
    }

    synchronized void outcome(int index, String label) {
      tries++;
      outcomes.merge(label, 1, Integer::sum);
      if (label.startsWith(KNOWN_BUG)) {
        List<String> examples = knownBugs.computeIfAbsent(label, l -> new ArrayList<>());
        if (examples.size() < EXAMPLES) {
          examples.add("try " + index);
        }
      }
    }

    synchronized void finding(int index, Throwable failure) {
      tries++;
      outcomes.merge("FINDING", 1, Integer::sum);
      StringWriter trace = new StringWriter();
      if (failure instanceof AssertionError) {
        trace.write(String.valueOf(failure.getMessage()));
      } else {
        failure.printStackTrace(new PrintWriter(trace));
      }
      findings.add("try " + index + ": " + trace);
    }

    /** The tries that broke a property, each with its index and what went wrong. */
    public synchronized List<String> findings() {
      return List.copyOf(findings);
    }

    /** How many tries ended with each label. */
    public synchronized Map<String, Integer> outcomes() {
      return Map.copyOf(outcomes);
    }

    public synchronized int tries() {
      return tries;
    }

    /**
     * The report as text: the run's parameters, the reach table, known bugs, the first findings.
     */
    public synchronized String text() {
      return text(EXAMPLES * 2);
    }

    /** The report with up to {@code maxFindings} findings in full. */
    synchronized String text(int maxFindings) {
      StringBuilder text = new StringBuilder();
      text.append("fuzz ")
          .append(wire)
          .append(": ")
          .append(tries)
          .append(" tries in ")
          .append(elapsedMs)
          .append(" ms, seed ")
          .append(budget.seed())
          .append(" (reproduce one with -Dfuzz.seed=")
          .append(budget.seed())
          .append(" -Dfuzz.only=<try>)\n");
      outcomes.forEach((label, count) -> text.append(String.format("  %6d  %s%n", count, label)));
      knownBugs.forEach(
          (label, examples) ->
              text.append("  ")
                  .append(label)
                  .append(": e.g. ")
                  .append(String.join(", ", examples))
                  .append('\n'));
      int shown = 0;
      for (String finding : findings) {
        if (shown++ == maxFindings) {
          text.append("  … and ").append(findings.size() - maxFindings).append(" more\n");
          break;
        }
        text.append("  FINDING ").append(finding).append('\n');
      }
      return text.toString();
    }
  }

  private FuzzRun() {}

  /**
   * Runs the budget's tries of {@code trial}, {@code parallelism} at a time, and returns the report
   * (also printed and written to {@code target/fuzz/<wire>.txt}).
   */
  public static Report run(String wire, FuzzBudget budget, int parallelism, Trial trial)
      throws Exception {
    Report report = new Report(wire, budget);
    long start = System.nanoTime();
    long deadline = budget.seconds() > 0 ? start + TimeUnit.SECONDS.toNanos(budget.seconds()) : 0;
    AtomicInteger next = new AtomicInteger(budget.only() >= 0 ? budget.only() : 0);
    int last = budget.only() >= 0 ? budget.only() : budget.tries() - 1;
    ExecutorService workers = Executors.newFixedThreadPool(parallelism);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < parallelism; w++) {
        running.add(
            workers.submit(
                () -> {
                  for (int index = next.getAndIncrement();
                      index <= last && (deadline == 0 || System.nanoTime() < deadline);
                      index = next.getAndIncrement()) {
                    try {
                      report.outcome(index, trial.run(index, budget.random(index)));
                    } catch (Throwable failure) { // every failure is a finding
                      report.finding(index, failure);
                    }
                  }
                }));
      }
      for (Future<?> worker : running) {
        worker.get();
      }
    } finally {
      workers.shutdownNow();
    }
    report.elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.print(report.text());
    write(wire, report.text(500)); // the file has (nearly) every finding

    return report;
  }

  private static void write(String wire, String text) {
    try {
      Path dir = Path.of("target", "fuzz");
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(wire + ".txt"), text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.out.println("could not write the fuzz report: " + e);
    }
  }

  /** Up to {@code max} bytes as hex, for a finding's message. */
  public static String hex(byte[] bytes, int max) {
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      hex.append(String.format("%02x", bytes[i]));
    }
    if (bytes.length > max) {
      hex.append("… (").append(bytes.length).append(" bytes)");
    }
    return hex.toString();
  }

  /** The bytes as text where printable, escapes elsewhere, up to {@code max} bytes. */
  public static String printable(byte[] bytes, int max) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      int b = bytes[i] & 0xFF;
      text.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
    }
    if (bytes.length > max) {
      text.append("… (").append(bytes.length).append(" bytes)");
    }
    return text.toString();
  }
}

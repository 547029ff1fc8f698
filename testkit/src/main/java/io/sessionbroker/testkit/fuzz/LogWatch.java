package io.sessionbroker.testkit.fuzz;

import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Watches what the broker logs at WARN and ERROR while a fuzzer runs, so a test can assert that
 * hostile input caused no unexpected exception anywhere (Netty, Vert.x, vertx-mqtt, the broker).
 *
 * <p>Every log line of this code base and its libraries goes through slf4j-simple (Vert.x and Netty
 * pick SLF4J when it is on the class path), and slf4j-simple writes to {@code System.err} as it is
 * at the time of each line. So the watch puts a tee in front of {@code System.err} (everything
 * still reaches the console and the test report) and keeps the lines whose level is WARN or ERROR,
 * each with the lines that follow it (a stack trace), until {@link #close}. This reads the
 * formatted output rather than installing a logging back end of its own: the test sees exactly what
 * an operator would.
 */
public final class LogWatch implements AutoCloseable {

  /**
   * A slf4j-simple line at WARN or ERROR: "[thread] LEVEL logger - message", with or without a date
   * and thread.
   */
  private static final Pattern LEVEL = Pattern.compile("(^|\\s|\\])(WARN|ERROR) [\\w.$]+ - ");

  private final PrintStream original;
  private final List<String> entries = new ArrayList<>();
  private StringBuilder current;

  private LogWatch() {
    original = System.err;
  }

  /** Starts watching {@code System.err}. */
  public static LogWatch start() {
    LogWatch watch = new LogWatch();
    System.setErr(new PrintStream(watch.tee(), true, StandardCharsets.UTF_8));
    return watch;
  }

  private OutputStream tee() {
    ByteArrayOutputStream pending = new ByteArrayOutputStream();
    return new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (LogWatch.this) {
          if (b == '\n') {
            accept(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
          } else {
            pending.write(b);
          }
        }
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
          write(bytes[i]);
        }
      }

      @Override
      public void flush() {
        original.flush();
      }
    };
  }

  private void accept(String text) {
    if (LEVEL.matcher(text).find()) {
      current = new StringBuilder(text);
      entries.add(text);
    } else if (current != null
        && !text.isEmpty()
        && !LEVEL.matcher(text).find()
        && (Character.isWhitespace(text.charAt(0))
            || text.startsWith("Caused by")
            || text.contains("Exception")
            || text.contains("Error"))) {
      // the stack trace (or exception line) printed under the entry
      current.append('\n').append(text);
      entries.set(entries.size() - 1, current.toString());
    } else {
      current = null;
    }
  }

  /**
   * Every WARN or ERROR entry so far (with its stack trace) that {@code expected} does not accept.
   */
  public synchronized List<String> unexpected(Predicate<String> expected) {
    List<String> found = new ArrayList<>();
    for (String entry : entries) {
      if (!expected.test(entry)) {
        found.add(entry);
      }
    }
    return found;
  }

  /**
   * Lets Netty's leak detector report what it has found (an ERROR line each, "LEAK: ..."): it
   * reports a buffer that was collected unreleased when the next buffer is tracked, so a few are
   * allocated after a collection. A test that wants every buffer watched runs with {@code
   * -Dio.netty.leakDetection.level=paranoid} (the transports module's tests do).
   */
  public static void provokeLeakReports() {
    // A collected buffer reaches the detector's queue after the collection, on the JVM's reference
    // handler thread: several rounds, each a full collection (long enough for the last one's).
    for (int round = 0; round < 5; round++) {
      System.gc();
      System.gc();
      for (int i = 0; i < 64; i++) {
        ByteBufAllocator.DEFAULT.directBuffer(1).release();
      }
    }
  }

  /** The leak detector's reports so far, after {@link #provokeLeakReports}. */
  public synchronized List<String> leakReports() {
    return entries.stream().filter(entry -> entry.contains("LEAK:")).toList();
  }

  /** Every WARN or ERROR entry so far. */
  public synchronized List<String> all() {
    return List.copyOf(entries);
  }

  /** Puts {@code System.err} back. */
  @Override
  public void close() {
    System.setErr(original);
  }
}

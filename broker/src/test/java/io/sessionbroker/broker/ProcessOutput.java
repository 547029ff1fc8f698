package io.sessionbroker.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reading a broker started as a child process by a test (the output is its only window). */
final class ProcessOutput {

  private ProcessOutput() {}

  /** The {@code java} of the JVM running the tests, for starting a broker the same way. */
  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The process's output lines up to and including the first that contains {@code marker}; the rest
   * is drained in the background so that the process never blocks on a full pipe.
   *
   * @throws AssertionError when the process ends before the marker
   */
  static List<String> readUntil(Process process, String marker) throws IOException {
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = reader.readLine()) != null) {
      lines.add(line);
      if (line.contains(marker)) {
        Thread drain =
            new Thread(
                () -> {
                  try {
                    reader.transferTo(Writer.nullWriter());
                  } catch (IOException ignored) {
                    // the process ended
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return lines;
      }
    }
    throw new AssertionError("broker exited before \"" + marker + "\": " + lines);
  }
}

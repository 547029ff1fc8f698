package io.sessionbroker.bench.load;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --closes-file}: the raw times of each silent device's close, one line each, in {@link
 * System#nanoTime} (CLOCK_MONOTONIC on Linux, the same clock a broker on this machine reads), so
 * that a close can be followed from the broker's side to the device's: {@code id transport deadline
 * client polled bye}, where deadline = last heartbeat sent + timeout, and a time not seen is 0.
 */
final class CloseTrace {

  private CloseTrace() {}

  static void write(String file, List<Device> devices) throws IOException {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(file)))) {
      out.println("# id transport deadline client polled bye (System.nanoTime, ns)");
      for (Device d : devices) {
        if (!d.silencePingSent) {
          continue;
        }
        boolean closed = d.state == Device.State.CLOSED;
        out.printf(
            "%s %s %d %d %d %d%n",
            d.id,
            d.transport.label(),
            d.lastSentNanos + d.timeoutMs * 1_000_000,
            closed ? d.closedNanos : 0,
            closed ? d.closedPolledNanos : 0,
            d.byeNanos);
      }
    }
  }
}

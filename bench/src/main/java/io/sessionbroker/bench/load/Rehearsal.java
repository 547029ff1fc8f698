package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * {@code --rehearse N}: an unmeasured mass close of N devices in this process before the measured
 * run, so that the generator's own close path (the EOF read, the WebSocket close frame, NIO's close
 * and deregistration) is compiled before it stamps the broker's closes.
 *
 * <p>Why (issue 17, docs/benchmarks.md, "Mass close, sixth round"): each run is a fresh JVM, and in
 * a profile of a warm broker's mass close the generator's JIT took as much of the two cores as the
 * broker's event loops, compiling its close path during the very closes it measured. The rehearsal
 * is a whole run of its own ({@link LoadOptions#rehearsal}: its own device ids, no broker samples,
 * no report) and ends when every rehearsed session is closed and announced, so the measured run
 * starts on a broker with none of them left.
 */
final class Rehearsal {

  private Rehearsal() {}

  /** Runs the rehearsal of {@code o} if it asks for one; prints one line on stderr. */
  static void runIfAsked(LoadOptions o) throws IOException, InterruptedException {
    if (o.rehearse() == 0) {
      return;
    }
    long start = System.nanoTime();
    JsonObject r =
        new Worker(o.rehearsal(), (phase, values) -> CompletableFuture.completedFuture(null)).run();
    System.err.printf(
        "rehearsal: %d devices opened, %d silent, %d not closed by the broker, %.1f s%n",
        r.getInteger("opened"),
        r.getInteger("silent"),
        r.getInteger("missingClientCloses"),
        (System.nanoTime() - start) / 1e9);
  }
}

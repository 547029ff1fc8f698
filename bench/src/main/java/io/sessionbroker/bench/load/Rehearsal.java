package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;

/**
 * What a process runs, unmeasured, before its measured run, so that its own code is compiled before
 * it measures the broker's: {@code --warm-connects N} (N devices connected, closed, their closes
 * announced) and {@code --rehearse N} (a mass close of N devices).
 *
 * <p>Why (issue 17, docs/benchmarks.md, "Mass close, sixth round" and "Connects with the generator
 * warm, twelfth round"): each run is a fresh JVM, and in profiles of a warm broker the generator's
 * JIT took as much of the two cores as the broker's event loops, compiling its close path during
 * the very closes it measured and its connect path during the very connects. Each is a whole run of
 * its own ({@link LoadOptions#rehearsal}, {@link LoadOptions#connectWarmUp}: its own device ids, no
 * broker samples, no report) and ends when the broker has announced every one of its sessions
 * closed, so the measured run starts on a broker with none of them left.
 */
final class Rehearsal {

  /** How long the connect warm-up waits for the broker to announce its closes. */
  private static final long ANNOUNCED_WITHIN_NANOS = 10_000_000_000L;

  /** The JIT counts as quiet after this long without a compile. */
  private static final long JIT_QUIET_MS = 500;

  private static final long JIT_QUIET_WITHIN_NANOS = 15_000_000_000L;

  private static final Coordinator ALONE =
      (phase, values) -> CompletableFuture.completedFuture(null);

  private Rehearsal() {}

  /** Runs the connect warm-up, then the rehearsal, as {@code o} asks; one line on stderr each. */
  static void runIfAsked(LoadOptions o) throws IOException, InterruptedException {
    if (o.warmConnects() > 0) {
      warmConnects(o);
    }
    if (o.rehearse() == 0) {
      return;
    }
    long start = System.nanoTime();
    int opened = 0;
    int silent = 0;
    int notClosed = 0;
    // rounds of this process's own devices: never more sockets than the measured run holds
    for (int left = o.rehearse(); left > 0; left -= o.rehearsal().devices()) {
      JsonObject r = new Worker(o.rehearsal(), ALONE).run();
      opened += r.getInteger("opened");
      silent += r.getInteger("silent");
      notClosed += r.getInteger("missingClientCloses");
    }
    System.err.printf(
        "rehearsal: %d devices opened, %d silent, %d not closed by the broker, %.1f s%n",
        opened, silent, notClosed, (System.nanoTime() - start) / 1e9);
  }

  private static void warmConnects(LoadOptions o) throws IOException, InterruptedException {
    LoadOptions w = o.connectWarmUp();
    long start = System.nanoTime();
    try (BridgeWatch bridge =
        o.bridgePort() > 0
            ? new BridgeWatch(o.host(), o.bridgePort(), w.prefix(), w.first(), w.devices())
            : null) {
      int opened = 0;
      int announced = 0;
      // a connect path's methods reach C2 after ~15,000 calls: more than one process's sockets
      for (int left = o.warmConnects(); left > 0; left -= w.devices()) {
        int round = new Worker(w, ALONE).run().getInteger("opened"); // closes them at its end
        long giveUp = System.nanoTime() + ANNOUNCED_WITHIN_NANOS;
        while (bridge != null && bridge.seen() < round && System.nanoTime() < giveUp) {
          Thread.sleep(20);
        }
        opened += round;
        if (bridge != null) {
          announced += bridge.seen();
          bridge.forget(); // the next round's devices have the same ids
        }
      }
      String closes =
          bridge == null ? "no bridge to see their closes" : announced + " closes announced";
      double jitSettledS = jitSettled();
      System.err.printf(
          "connect warm-up: %d devices opened and closed, %s, %.1f s; JIT quiet %.1f s later%n",
          opened, closes, (System.nanoTime() - start) / 1e9, jitSettledS);
    }
  }

  /**
   * Waits until this JVM's JIT has compiled nothing for {@link #JIT_QUIET_MS} (at most {@link
   * #JIT_QUIET_WITHIN_NANOS}); returns the seconds waited. The warm-up's hot methods reach C2's
   * thresholds near its end, and one C2 thread works through them for seconds after: without this
   * wait it does so during the measured connects, on the cores the broker is measured on.
   */
  private static double jitSettled() throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    long last = jit.getTotalCompilationTime();
    long quietSince = start;
    while (System.nanoTime() - quietSince < JIT_QUIET_MS * 1_000_000
        && System.nanoTime() - start < JIT_QUIET_WITHIN_NANOS) {
      Thread.sleep(50);
      long now = jit.getTotalCompilationTime();
      if (now != last) {
        last = now;
        quietSince = System.nanoTime();
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }
}

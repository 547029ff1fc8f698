package io.sessionbroker.broker;

/**
 * How many event-loop threads a node runs ({@code node.eventLoops}): the configured number, or for
 * 0 {@link #PER_CORE} per core.
 *
 * <p>Every device listener accepts on every loop ({@code EveryEventLoop}), so this is also the
 * number of threads a node's connections are spread over. Vert.x's own default is two per core; a
 * node runs one per core because more loops than cores only take turns on the same cores, and each
 * packet then more often wakes a sleeping loop (a context switch and an {@code epoll_wait} return
 * for one packet) where fewer, busier loops find several ready at once. Measured A/B on 2 cores, 4
 * loops against 2 (docs/benchmarks.md, "Memory and PINGREQ, fifth round"): broker CPU per 1,000
 * PINGREQs 38.4-40.4 ms against 31.4-36.2 ms, per TCP connect 124-164 µs against 103-186 µs
 * (medians 154 and 107), mass-close lateness within the runs' spread.
 */
final class EventLoops {

  /** Event loops per core when {@code node.eventLoops} is 0. */
  static final int PER_CORE = 1;

  private EventLoops() {}

  /** The event loops to run for the configured {@code node.eventLoops} (0 = per core). */
  static int count(int configured) {
    return configured > 0 ? configured : PER_CORE * Runtime.getRuntime().availableProcessors();
  }
}

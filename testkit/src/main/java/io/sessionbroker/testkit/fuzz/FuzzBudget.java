package io.sessionbroker.testkit.fuzz;

import java.util.Random;

/**
 * How much a fuzzer does, from system properties, so that the same test is the short seeded run of
 * {@code mvn verify} and the long run on demand (docs/testing.md, "Fuzzing"):
 *
 * <ul>
 *   <li>{@code fuzz.seed} (default 13): the run's seed; {@code random} draws one and prints it;
 *   <li>{@code fuzz.tries} (default: the fuzzer's own, sized for {@code mvn verify}): malformed
 *       inputs per wire;
 *   <li>{@code fuzz.seconds} (default 0 = no limit): stop a wire early once this much time has
 *       passed;
 *   <li>{@code fuzz.only} (default -1): run this one try alone, to reproduce a finding (every try's
 *       input depends only on the seed and its index).
 * </ul>
 *
 * @param seed the run's seed
 * @param tries inputs per wire
 * @param seconds time limit per wire, 0 for none
 * @param only the single try to run, or -1
 */
public record FuzzBudget(long seed, int tries, long seconds, int only) {

  public static final long DEFAULT_SEED = 13;

  /** The budget the system properties ask for, {@code defaultTries} when they do not say. */
  public static FuzzBudget fromSystemProperties(int defaultTries) {
    String seedProperty = System.getProperty("fuzz.seed", Long.toString(DEFAULT_SEED));
    long seed =
        "random".equals(seedProperty) ? new Random().nextLong() : Long.parseLong(seedProperty);
    return new FuzzBudget(
        seed,
        Integer.getInteger("fuzz.tries", defaultTries),
        Long.getLong("fuzz.seconds", 0L),
        Integer.getInteger("fuzz.only", -1));
  }

  /** The random source of one try: the same seed and index give the same input. */
  public Random random(int tryIndex) {
    return new Random(seed * 0x9E3779B97F4A7C15L + tryIndex);
  }

  /** Whether try {@code index} runs at all. */
  public boolean runs(int index) {
    return only < 0 || only == index;
  }
}

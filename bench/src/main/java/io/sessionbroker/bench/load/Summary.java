package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;

/**
 * Min / p50 / p99 / max of a sample, plus how many values are negative (an eviction before its
 * deadline). Percentiles are nearest-rank: the p-th percentile is the smallest value with at least
 * p % of the sample at or below it, so p99 of 1,000 values is the 990th smallest and never an
 * interpolation that no device saw.
 */
public record Summary(int count, double min, double p50, double p99, double max, int negative) {

  /** Summarises {@code values} (not modified). An empty sample gives count 0 and NaNs. */
  public static Summary of(double[] values) {
    if (values.length == 0) {
      return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int negative = 0;
    for (double v : sorted) {
      if (v < 0) {
        negative++;
      }
    }
    return new Summary(
        sorted.length,
        sorted[0],
        rank(sorted, 50),
        rank(sorted, 99),
        sorted[sorted.length - 1],
        negative);
  }

  /** Nearest-rank percentile of an ascending array. */
  static double rank(double[] sorted, double percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("count", count)
        .put("min", round(min))
        .put("p50", round(p50))
        .put("p99", round(p99))
        .put("max", round(max))
        .put("early", negative);
  }

  @Override
  public String toString() {
    if (count == 0) {
      return "none";
    }
    return String.format(
        "n=%d min=%.1f p50=%.1f p99=%.1f max=%.1f ms, early=%d",
        count, min, p50, p99, max, negative);
  }

  private static Object round(double v) {
    return Double.isNaN(v) ? null : Math.round(v * 100) / 100.0;
  }
}

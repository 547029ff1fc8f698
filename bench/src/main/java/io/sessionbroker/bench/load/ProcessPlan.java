package io.sessionbroker.bench.load;

import java.util.ArrayList;
import java.util.List;

/**
 * How N simulated devices are spread over worker processes. Every device holds one socket, and a
 * process may hold only so many open files (20,000 here), so a run needs ceil(N / perProcess)
 * processes; devices are split as evenly as possible so that each process ramps and heartbeats the
 * same share.
 */
public final class ProcessPlan {

  /** One worker's devices: indexes {@code first} to {@code first + count - 1}. */
  public record Range(int first, int count) {}

  private ProcessPlan() {}

  /**
   * Splits {@code devices} into the fewest ranges of at most {@code perProcess} devices, sizes
   * differing by at most one.
   */
  public static List<Range> split(int devices, int perProcess) {
    if (devices < 0 || perProcess < 1) {
      throw new IllegalArgumentException("devices must be >= 0 and perProcess >= 1");
    }
    int processes = Math.max(1, (devices + perProcess - 1) / perProcess);
    List<Range> ranges = new ArrayList<>(processes);
    int base = devices / processes;
    int extra = devices % processes;
    int first = 0;
    for (int i = 0; i < processes; i++) {
      int count = base + (i < extra ? 1 : 0);
      ranges.add(new Range(first, count));
      first += count;
    }
    return ranges;
  }
}

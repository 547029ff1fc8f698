package io.sessionbroker.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory and CPU time from {@code /proc/<pid>/status} (VmRSS) and {@code
 * /proc/<pid>/stat} (utime + stime, fields 14 and 15, in clock ticks of 1/100 s on Linux: {@code
 * getconf CLK_TCK}).
 */
record ProcStat(long rssKb, long userMs, long systemMs) {

  private static final long MS_PER_TICK = 10;

  /** utime + stime, ms. */
  long cpuMs() {
    return userMs + systemMs;
  }

  /** This process's. */
  static ProcStat self() {
    return of(ProcessHandle.current().pid());
  }

  static ProcStat of(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the command name (field 2) may hold spaces: fields after it start after the last ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long userTicks = Long.parseLong(f[11]);
      long systemTicks = Long.parseLong(f[12]);
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return new ProcStat(rss, userTicks * MS_PER_TICK, systemTicks * MS_PER_TICK);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read /proc/" + pid + " (is the broker running here?)", e);
    }
  }
}

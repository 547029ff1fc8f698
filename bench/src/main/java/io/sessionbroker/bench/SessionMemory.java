package io.sessionbroker.bench;

import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;

/**
 * Heap per live session, measured, not estimated: used heap after a forced full GC, before and
 * after opening N sessions (default 1,000,000 UDP sessions with 30 s heartbeats, as in issue 7's
 * target of ≤ 300 bytes).
 *
 * <p>Reports two figures: the table's own cost (session object, maps, directory entry, wheel links)
 * with the device id and remote address strings already allocated beforehand, since a transport
 * holds those anyway; and the total including those strings ({@code device-0000042}, {@code
 * 10.0.0.42:20042}).
 *
 * <p>Run: {@code java -Xmx3g -cp bench/target/benchmarks.jar io.sessionbroker.bench.SessionMemory
 * [N]}. Not a JMH benchmark: memory is one number, not a rate.
 */
public final class SessionMemory {

  private SessionMemory() {}

  public static void main(String[] args) {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    long empty = usedAfterGc();

    String[] deviceIds = new String[count];
    String[] remotes = new String[count];
    for (int i = 0; i < count; i++) {
      deviceIds[i] = BenchTables.deviceId(i);
      remotes[i] = BenchTables.remote(i);
    }
    SessionTable table = BenchTables.table(new ManualClock());
    long withStrings = usedAfterGc();

    // The hello is garbage once the session is open, as in a transport; the Session[] stands for
    // the
    // transports' references to their sessions.
    Session[] sessions = new Session[count];
    for (int i = 0; i < count; i++) {
      sessions[i] = BenchTables.open(table, BenchTables.udpHello(deviceIds[i], remotes[i], 30_000));
    }
    long withSessions = usedAfterGc();

    double tableBytes = (double) (withSessions - withStrings) / count;
    double stringBytes = (double) (withStrings - empty) / count;
    System.out.printf(
        "sessions=%d jvm=%s args=%s maxHeapMB=%d%n",
        count,
        System.getProperty("java.vm.version"),
        ManagementFactory.getRuntimeMXBean().getInputArguments(),
        Runtime.getRuntime().maxMemory() >> 20);
    System.out.printf(
        "table bytes/session (session, 2 maps, directory entry, wheel; +4 B Session[] slot): %.1f%n",
        tableBytes);
    System.out.printf(
        "device id + remote strings bytes/session (+8 B of two String[] slots):              %.1f%n",
        stringBytes);
    System.out.printf("total bytes/session: %.1f%n", tableBytes + stringBytes);
    Reference.reachabilityFence(table);
    Reference.reachabilityFence(sessions);
    Reference.reachabilityFence(deviceIds);
    Reference.reachabilityFence(remotes);
  }

  /** Used heap after full collections, repeated until it stops shrinking. */
  private static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long used = memory.getHeapMemoryUsage().getUsed();
      if (used >= previous - 1024) {
        return used;
      }
      previous = used;
    }
    return previous;
  }
}

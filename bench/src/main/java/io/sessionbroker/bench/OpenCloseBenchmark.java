package io.sessionbroker.bench;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of one session's life on the table's thread: open (directory claim, maps, wheel, opened
 * event) then close (release, maps, closed event, connection callback), over a fleet of 65,536
 * devices.
 *
 * <p>The manual clock advances 1 ms per operation and the wheel ticks every 10 ms of it, as in
 * production, so closed sessions are dropped from the wheel when their slot comes due and the cost
 * of that is included. {@code heartbeatMs=0} opens sessions without a deadline, which never enter
 * the wheel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class OpenCloseBenchmark {

  private static final int DEVICES = 65_536;

  @Param({"30000", "0"})
  public long heartbeatMs;

  private final ManualClock clock = new ManualClock();
  private SessionTable table;
  private OpenRequest[] hellos;
  private int next;

  @Setup
  public void setUp() {
    table = BenchTables.table(clock);
    hellos = new OpenRequest[DEVICES];
    for (int i = 0; i < DEVICES; i++) {
      hellos[i] = BenchTables.udpHello(BenchTables.deviceId(i), BenchTables.remote(i), heartbeatMs);
    }
  }

  @Benchmark
  public Session openThenClose() {
    int i = next++;
    Session session = BenchTables.open(table, hellos[i & (DEVICES - 1)]);
    table.close(session, CloseReason.CLIENT_CLOSED);
    clock.advance(1);
    if (i % 10 == 0) {
      table.tick();
    }
    return session;
  }
}

package io.sessionbroker.bench;

import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One eviction tick of a node holding 1,000,000 live UDP sessions in steady state: 30 s heartbeats
 * spread evenly (1/3,000 of the fleet heartbeats in each 10 ms tick, about 333 sessions), 45 s
 * timeouts, nobody silent. Each operation is one tick of fake time: advance 10 ms, the due
 * heartbeats, then {@link SessionTable#tick()} re-arms the sessions whose slot came due (lazy
 * re-arm).
 *
 * <p>{@code heartbeatsOnly} does the same without the tick; the difference of the two is the
 * wheel's cost. A tick must stay far below the 10 ms tick period, or eviction falls behind.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class TickBenchmark {

  static final int SESSIONS = 1_000_000;
  private static final int HEARTBEAT_MS = 30_000;
  private static final int TICK_MS = TableOptions.DEFAULT_TICK_MS;
  private static final int TICKS_PER_HEARTBEAT = HEARTBEAT_MS / TICK_MS;

  private final ManualClock clock = new ManualClock();
  private SessionTable table;
  private Session[] sessions;
  private long tick;

  @Setup(Level.Trial)
  public void setUp() {
    table = BenchTables.table(clock);
    sessions = new Session[SESSIONS];
    for (int i = 0; i < SESSIONS; i++) {
      sessions[i] =
          BenchTables.open(
              table,
              BenchTables.udpHello(BenchTables.deviceId(i), BenchTables.remote(i), HEARTBEAT_MS));
    }
    // Two heartbeat rounds and a timeout of fake time spread the deadlines out: steady state.
    for (int i = 0; i < 3 * TICKS_PER_HEARTBEAT + 1_500; i++) {
      oneTick();
    }
  }

  @Benchmark
  public void oneTick() {
    heartbeats();
    table.tick();
  }

  @Benchmark
  public void heartbeatsOnly() {
    heartbeats();
  }

  private void heartbeats() {
    clock.advance(TICK_MS);
    int phase = (int) (tick++ % TICKS_PER_HEARTBEAT);
    for (int i = phase; i < SESSIONS; i += TICKS_PER_HEARTBEAT) {
      table.touch(sessions[i]);
    }
  }
}

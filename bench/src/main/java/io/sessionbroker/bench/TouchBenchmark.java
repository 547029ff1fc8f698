package io.sessionbroker.bench;

import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.vertx.core.json.JsonObject;
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
 * The cost of a heartbeat: {@link SessionTable#touch} on one of 4,096 open sessions, round robin,
 * one thread. Target (issue 7): at least 20 million per second per core and no allocation ({@code
 * -prof gc}).
 *
 * <p>{@code clock=manual} measures the table alone; {@code clock=monotonic} adds the clock the
 * broker ships ({@link Clock#monotonic()}, one {@code System.nanoTime()} per touch), which is what
 * a heartbeat really costs in production.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class TouchBenchmark {

  private static final int SESSIONS = 4_096;

  @Param({"manual", "monotonic"})
  public String clock;

  private Clock time;
  private SessionTable table;
  private Session[] sessions;
  private JsonObject status;
  private int next;

  @Setup
  public void setUp() {
    time = "manual".equals(clock) ? new ManualClock() : Clock.monotonic();
    table = BenchTables.table(time);
    sessions = new Session[SESSIONS];
    for (int i = 0; i < SESSIONS; i++) {
      sessions[i] =
          BenchTables.open(
              table, BenchTables.udpHello(BenchTables.deviceId(i), BenchTables.remote(i), -1));
    }
    status = new JsonObject().put("battery", 87).put("rssi", -71);
  }

  @Benchmark
  public void touch() {
    table.touch(sessions[next++ & (SESSIONS - 1)]);
  }

  /**
   * The clock read alone, which every touch includes: the baseline that shows what limits a touch.
   */
  @Benchmark
  public long readClock() {
    return time.millis();
  }

  /**
   * A heartbeat carrying a status object the transport already decoded (decoding is not counted).
   */
  @Benchmark
  public void touchWithStatus() {
    table.touch(sessions[next++ & (SESSIONS - 1)], status);
  }
}

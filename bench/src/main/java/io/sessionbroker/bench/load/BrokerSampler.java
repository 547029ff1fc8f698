package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The parent's side of the phases: when every worker has arrived at a phase, samples the broker
 * process (if {@code --broker-pid} was given) and adds up what the workers report. RSS per session
 * is the growth of the broker's RSS from before the first connect to the moment all sessions are
 * open, divided by the sessions; CPU per connect is the broker's utime + stime from the moment
 * every worker is ready to ramp (its JVM started, its warm-up done) to the moment all are open,
 * divided by the sessions opened; CPU per 1,000 pings is the broker's utime + stime over the hold
 * divided by the pings sent in it (so it includes the broker's fixed costs over the hold, e.g. its
 * eviction tick, which is small against the pings at thousands of pings per second).
 */
final class BrokerSampler {

  private final long pid;
  private final ProcStat before;
  private ProcStat ready;
  private ProcStat connected;
  private ProcStat held;
  private long connectedNanos;
  private long heldNanos;
  private long opened;
  private long pings;

  private final double idleCpuMsPerS;

  /** Samples the broker, idle, over {@code idleMs} first: its CPU when no device talks to it. */
  BrokerSampler(long pid, long idleMs) throws InterruptedException {
    this.pid = pid;
    ProcStat start = pid > 0 ? ProcStat.of(pid) : null;
    long t0 = System.nanoTime();
    if (pid > 0) {
      Thread.sleep(idleMs);
    }
    this.before = pid > 0 ? ProcStat.of(pid) : null;
    this.idleCpuMsPerS =
        pid > 0 ? (before.cpuMs() - start.cpuMs()) / ((System.nanoTime() - t0) / 1e9) : 0;
  }

  synchronized void arrived(String phase, List<JsonObject> values) {
    long now = System.nanoTime();
    ProcStat stat = pid > 0 ? ProcStat.of(pid) : null;
    if (phase.equals("ready")) {
      ready = stat;
    } else if (phase.equals("connected")) {
      connected = stat;
      connectedNanos = now;
      opened = values.stream().mapToLong(v -> v.getLong("opened")).sum();
    } else if (phase.equals("held")) {
      held = stat;
      heldNanos = now;
      pings = values.stream().mapToLong(v -> v.getLong("pings")).sum();
    }
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  synchronized JsonObject toJson() {
    JsonObject j =
        new JsonObject()
            .put("holdPings", pings)
            .put(
                "holdPingsPerS",
                heldNanos > connectedNanos
                    ? Math.round(pings / ((heldNanos - connectedNanos) / 1e9))
                    : 0);
    if (before == null || connected == null || held == null) {
      return j;
    }
    j.put("pid", pid)
        .put("rssBeforeKb", before.rssKb())
        .put("rssConnectedKb", connected.rssKb())
        .put("rssHeldKb", held.rssKb())
        .put("holdCpuMs", held.cpuMs() - connected.cpuMs());
    if (opened > 0) {
      j.put(
          "rssPerSessionBytes", Math.round((connected.rssKb() - before.rssKb()) * 1024.0 / opened));
      // the broker's CPU per session opened over the ramp: 1e6 / this = connects per second per
      // core
      ProcStat rampStart = ready != null ? ready : before;
      j.put(
          "cpuUsPerConnect", Math.round((connected.cpuMs() - rampStart.cpuMs()) * 1000.0 / opened));
    }
    if (pings > 0) {
      long cpu = held.cpuMs() - connected.cpuMs();
      double idle = idleCpuMsPerS * (heldNanos - connectedNanos) / 1e9;
      j.put("cpuMsPer1000Pings", round2(cpu * 1000.0 / pings))
          .put("idleCpuMsPerS", round2(idleCpuMsPerS))
          .put("cpuMsPer1000PingsNetOfIdle", round2((cpu - idle) * 1000.0 / pings));
    }
    return j;
  }
}

#!/usr/bin/env python3
"""Who holds the cores, per process and thread group, every 0.5 s (issue 17): the broker's event loops, its
collector, its JIT, its worker threads, and the load generator's processes beside them. Unlike cpu-sampler.py (one
process, each thread, 20 ms, for a mass close's window) it follows every java process on the machine, so that the
generator's share of the two cores shows.

    bench/proc-cpu.py record OUT STOP     every 0.5 s until the file STOP exists: one JSON line per sample
    bench/proc-cpu.py report OUT [SECONDS]   CPU ms per 0.5 s by group, and the totals over the last SECONDS
                                             (default 12.5) of activity (samples using > 30 % of one core)

Groups: b:loop (vert.x-eventloop), b:GC (GC Thread, G1 Conc/Refine/Main, VM Thread), b:JIT (C1/C2 compiler
threads), b:worker (vert.x-worker, the table's tick), b:other; lg:main (the generator's selector threads),
lg:bridge (its bridge readers), lg:JIT, lg:GC, lg:other. A process is the broker if its command line names
broker.jar, the generator if it names LoadGen. Ticks of /proc/PID/task/TID/stat (10 ms each).
"""
import collections
import json
import os
import sys
import time


def record(out_path, stop):
    hz = os.sysconf("SC_CLK_TCK")
    with open(out_path, "w") as out:
        while not os.path.exists(stop):
            snap = {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if open(f"/proc/{pid}/comm").read().strip() != "java":
                        continue
                    cmd = open(f"/proc/{pid}/cmdline").read()
                    role = "b" if "broker.jar" in cmd else "lg" if "LoadGen" in cmd else None
                    if role is None:
                        continue
                    for tid in os.listdir(f"/proc/{pid}/task"):
                        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                        name = stat[stat.index("(") + 1:stat.rindex(")")]
                        fields = stat[stat.rindex(")") + 2:].split()
                        snap[f"{role}:{pid}:{tid}:{name}"] = (int(fields[11]) + int(fields[12])) * 1000 // hz
                except (OSError, ValueError):
                    pass  # a process or thread that ended between listing and reading
            out.write(json.dumps([time.time(), snap]) + "\n")
            out.flush()
            time.sleep(0.5)


def group(role, name):
    if "eventloo" in name:  # comm is cut at 15 characters: vert.x-eventloo
        kind = "loop"
    elif "Compiler" in name:
        kind = "JIT"
    elif name.startswith(("GC Thread", "G1 ", "VM Thread")):
        kind = "GC"
    elif "bridge" in name:
        kind = "bridge"
    elif "worker" in name or "table" in name:
        kind = "worker"
    elif role == "lg" and (name == "java" or name.startswith("loadgen")):
        kind = "main"
    else:
        kind = "other"
    return f"{role}:{kind}"


KEYS = ["b:loop", "b:GC", "b:JIT", "b:worker", "b:other", "lg:main", "lg:bridge", "lg:JIT", "lg:GC", "lg:other"]


def report(path, seconds):
    rows = [json.loads(line) for line in open(path)]
    series, prev = [], None
    for t, snap in rows:
        if prev:
            g = collections.Counter()
            for k, v in snap.items():
                if k in prev:
                    role, _, _, name = k.split(":", 3)
                    g[group(role, name)] += v - prev[k]
            series.append((t, g))
        prev = snap
    if not series:
        return
    t0 = series[0][0]
    print("     s " + " ".join(f"{k:>9}" for k in KEYS))
    for t, g in series:
        if sum(g.values()) > 30:
            print(f"{t - t0:6.1f} " + " ".join(f"{g[k]:9d}" for k in KEYS))
    active = [i for i, (_, g) in enumerate(series) if sum(g.values()) > 150]
    if active:
        end = active[-1]
        window = series[max(0, end - int(seconds * 2) + 1):end + 1]
        total = collections.Counter()
        for _, g in window:
            total.update(g)
        print(f"last {seconds} s of activity, CPU ms: " + ", ".join(f"{k} {total[k]}" for k in KEYS if total[k])
              + f"; all {sum(total.values())} of {int(seconds * 2000)} (two cores)")


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3])
    else:
        report(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 12.5)

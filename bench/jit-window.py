#!/usr/bin/env python3
"""Compiles inside each mass close (issue 17): for every NAME.closes of a bench/mass-close.sh OUT directory
(CLOSES=1), the broker's JIT compiles that started between the run's first deadline and the last close a device saw,
by tier (0: a native method's wrapper, 1: C1, 2: C1 with counters, 3: C1 with full profiling, 4: C2), and how many
compiled code blobs were made not entrant there. The broker must have logged with
BROKER_JAVA_OPTS="-Xlog:jit+compilation=debug:file=OUT/jit.log:um,tn"
(a line as a compile starts; `tn` is System.nanoTime, the clock of --closes-file on the same machine). The first
lines give the compiles before the broker's ready line and after it. -v lists the methods compiled in each window.
Usage: jit-window.py [-v] OUT [OUT...]"""
import glob
import os
import re
import sys
from collections import Counter

# [12ms][3456ns]   28   !   3       java.util.HashMap::putVal (300 bytes)   made not entrant
LINE = re.compile(r"\[(\d+)ms\]\[(\d+)ns\]\s+(\d+)\s+([%sbn! ]*?)\s*([0-4])\s+(\S+)(.*)")


def read_log(path):
    compiles, not_entrant = [], []
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        t, level, method, rest = int(m.group(2)), int(m.group(5)), m.group(6), m.group(7)
        if "made not entrant" in rest:
            not_entrant.append((t, level, method))
        elif "made zombie" not in rest:
            compiles.append((t, level, method + (" (OSR)" if "%" in m.group(4) else "")))
    return compiles, not_entrant


def ready_stamp(out, jit_start_ms_ns):
    """The broker's ready line as System.nanoTime, from the log's uptime/nanoTime pair and the `ready in N ms`."""
    for log in glob.glob(f"{out}/broker-*.log"):
        for line in open(log):
            m = re.search(r"ready in (\d+) ms", line)
            if m:
                uptime_ms, nanos = jit_start_ms_ns
                return nanos - uptime_ms * 1_000_000 + int(m.group(1)) * 1_000_000
    return None


def by_level(items):
    counts = Counter(level for _, level, _ in items)
    return " ".join(f"t{level} {counts[level]}" for level in sorted(counts)) or "none"


def main():
    args = sys.argv[1:]
    verbose = bool(args) and args[0] == "-v"
    for out in args[1:] if verbose else args:
        compiles, not_entrant = read_log(f"{out}/jit.log")
        first = open(f"{out}/jit.log").readline()
        m = re.match(r"\[(\d+)ms\]\[(\d+)ns\]", first)
        ready = ready_stamp(out, (int(m.group(1)), int(m.group(2)))) if m else None
        if ready is not None:
            # approximate: the JVM's uptime and the broker's own "ready in" count from nearly the same start
            before = [c for c in compiles if c[0] <= ready]
            print(f"{out}: {len(compiles)} compiles in the log; up to the ready line {len(before)} "
                  f"({by_level(before)}), after it {len(compiles) - len(before)} "
                  f"({by_level([c for c in compiles if c[0] > ready])})")
        else:
            print(f"{out}: {len(compiles)} compiles in the log ({by_level(compiles)})")
        for f in sorted(glob.glob(f"{out}/*.closes")):
            rows = [line.split() for line in open(f) if not line.startswith("#")]
            start = min(int(r[2]) for r in rows)
            end = max(int(r[3]) for r in rows)
            inside = [c for c in compiles if start <= c[0] <= end]
            dropped = [c for c in not_entrant if start <= c[0] <= end]
            print(f"  {os.path.basename(f)[:-7]:22} window {(end - start) / 1e6:4.0f} ms | compiles {len(inside):3} "
                  f"({by_level(inside)}) | made not entrant {len(dropped)}")
            if verbose:
                for t, level, method in inside:
                    print(f"      +{(t - start) / 1e6:5.0f} ms  t{level}  {method}")


main()

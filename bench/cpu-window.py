#!/usr/bin/env python3
"""CPU inside each mass close's window (first deadline .. last close a device saw), from bench/cpu-sampler.py's
samples and the NAME.closes files of bench/mass-close.sh OUT directories (CLOSES=1): the broker's time on CPU by thread
group, the machine's busy time (/proc/stat, 10 ms ticks, both cores) and what is not the broker's (the load generator,
the sampler, the kernel's own). The window is widened to the samples around it (20 ms apart).
Usage: cpu-window.py SAMPLES OUT [OUT...]"""
import bisect
import glob
import os
import sys
from collections import defaultdict

GROUPS = (("vert.x-eventloo", "event loops"), ("session-table", "table"), ("GC_Thread", "GC"), ("G1", "GC"),
          ("C2_", "JIT"), ("C1_", "JIT"), ("VM_Thread", "VM thread"))


def group(name):
    return next((g for prefix, g in GROUPS if name.startswith(prefix)), "other")


def read(path):
    samples, names = [], {}
    for line in open(path):
        if line.startswith("# tid "):
            _, _, tid, name = line.split(maxsplit=3)
            names[tid] = name.strip()
        elif not line.startswith("#"):
            head, _, rest = line.partition(" | ")
            fields = head.split()
            threads = {tid: (names.get(tid, "?"), int(ns)) for tid, ns in (p.split(":") for p in rest.split())}
            samples.append((int(fields[0]), list(map(int, fields[1:])), threads))
    return samples


def main():
    samples = read(sys.argv[1])
    stamps = [s[0] for s in samples]
    for out in sys.argv[2:]:
        for f in sorted(glob.glob(f"{out}/*.closes")):
            rows = [line.split() for line in open(f) if not line.startswith("#")]
            first = min(int(r[2]) for r in rows)
            last = max(int(r[3]) for r in rows)
            i, j = bisect.bisect_right(stamps, first) - 1, bisect.bisect_left(stamps, last)
            name = os.path.basename(f)[:-7]
            if i < 0 or j >= len(samples):
                print(f"  {name}: not sampled")
                continue
            (t0, m0, th0), (t1, m1, th1) = samples[i], samples[j]
            span = (t1 - t0) / 1e6
            cpu = defaultdict(float)
            for tid, (thread, ns) in th1.items():
                cpu[group(thread)] += (ns - th0.get(tid, (thread, 0))[1]) / 1e6
            busy = ((sum(m1) - m1[3] - m1[4]) - (sum(m0) - m0[3] - m0[4])) * 1000 / os.sysconf("SC_CLK_TCK")
            broker = sum(cpu.values())
            groups = ", ".join(f"{g} {ms:.0f}" for g, ms in sorted(cpu.items(), key=lambda x: -x[1]) if ms >= 0.5)
            print(f"  {name:22} {span:4.0f} ms sampled (window {(last - first) / 1e6:4.0f}) | machine busy "
                  f"{busy:4.0f} of {2 * span:4.0f} ms | broker {broker:4.0f} ms: {groups} | not the broker's "
                  f"{busy - broker:4.0f} ms")


main()

#!/usr/bin/env python3
"""What a broker's JVM spent during a mass expiry (bench/cold-trace.sh): the window is from the last sample
with 90 % of its listener's connections still open to 300 ms after the first sample with (almost) none left.
Prints the CPU per thread group in the window, the classes loaded and the methods compiled (per tier) in it.
Usage: cold-report.py DIR   (DIR holds samples.tsv, classload.log, broker.log)"""
import re
import sys

d = sys.argv[1]
rows = []
for line in open(f"{d}/samples.tsv"):
    f = line.rstrip("\n").split("\t")
    cpu = {}
    for kv in f[2:]:
        k, v = kv.rsplit("=", 1)
        cpu[k] = int(v)
    rows.append((float(f[0]), int(f[1]), cpu))
peak = max(r[1] for r in rows)
ipeak = max(i for i, r in enumerate(rows) if r[1] == peak)
gone = next((i for i in range(ipeak, len(rows)) if rows[i][1] <= peak * 0.005), len(rows) - 1)
start = max(i for i in range(ipeak, gone) if rows[i][1] >= peak * 0.9)
t0, t_gone = rows[start][0], rows[gone][0]
end = next((i for i in range(gone, len(rows)) if rows[i][0] >= t_gone + 0.3), len(rows) - 1)
t1 = rows[end][0]


def group(name):
    n = name.split(":", 1)[1]
    for prefix, g in (("C2 Compiler", "C2 compiler"), ("C1 Compiler", "C1 compiler"),
                      ("vert.x-eventloo", "event loops"), ("vert.x-worker", "workers (table)"),
                      ("vert.x-internal", "workers (table)"), ("G1 ", "GC"), ("GC Thread", "GC"),
                      ("VM Thread", "VM thread")):
        if n.startswith(prefix):
            return g
    return "other"


spent = {}
for k, v in rows[end][2].items():
    spent[group(k)] = spent.get(group(k), 0) + v - rows[start][2].get(k, 0)
total = sum(spent.values())
print(f"window {t0:.2f}-{t1:.2f} s of the JVM's life (connections {peak} -> {rows[gone][1]} by {t_gone:.2f} s): "
      f"{total} ms of CPU: " + ", ".join(f"{g} {ms}" for g, ms in sorted(spent.items(), key=lambda x: -x[1])))

loads = [float(m.group(1)) for m in (re.match(r"\[(\d+\.\d+)s\]", l) for l in open(f"{d}/classload.log")) if m]
inw = [t for t in loads if t0 <= t <= t1]
print(f"classes loaded: {len(loads)} in all, {len([t for t in loads if t <= t0])} before the window, {len(inw)} in it")
comp = {}
allc = 0
pat = re.compile(r"^\s*(\d+)\s+\d+\s+[%sbn!]*\s*(\d)\s+(\S+)")
for l in open(f"{d}/broker.log"):
    m = pat.match(l)
    if not m:
        continue
    allc += 1
    if t0 * 1000 <= int(m.group(1)) <= t1 * 1000:
        comp[m.group(2)] = comp.get(m.group(2), 0) + 1
        if m.group(2) == "4":
            comp.setdefault("c2names", []).append(m.group(3))
names = comp.pop("c2names", [])
print(f"compilations: {allc} in all; in the window per tier {dict(sorted(comp.items()))}")
own = [n for n in names if n.startswith("io.sessionbroker")]
print(f"C2 in the window, ours ({len(own)} of {len(names)}): " + " ".join(sorted(set(own))[:40]))

#!/usr/bin/env python3
"""Collection pauses inside each mass close (issue 17): for every NAME.closes of a bench/mass-close.sh OUT directory
(CLOSES=1), the broker's stop-the-world pauses between the run's first deadline and the last close a device saw.
The broker must have logged with BROKER_JAVA_OPTS="-Xlog:gc*,safepoint:file=OUT/gc.log:um,tn": the `tn` decoration is
System.nanoTime, the clock of --closes-file on the same machine. A pause counts when its safepoint (which includes
reaching it) took 1 ms or more; the G1 pauses logged in the window are listed with their type, cause and heap.
Usage: gc-window.py OUT [OUT...]"""
import glob
import os
import re
import sys

STAMP = re.compile(r"\[(\d+)ms\]\[(\d+)ns\](?:\[[^\]]*\])*\s*(.*)")
PAUSE = re.compile(r"GC\(\d+\) Pause (\S+(?: \([^)]*\))*) (\d+)M->(\d+)M\((\d+)M\) ([\d.]+)ms")


def read_log(path):
    safepoints, pauses = [], []
    for line in open(path):
        m = STAMP.match(line)
        if not m:
            continue
        t, msg = int(m.group(2)), m.group(3)
        p = PAUSE.match(msg)
        if p:
            pauses.append((t, p.group(1), int(p.group(2)), int(p.group(3)), int(p.group(4)), float(p.group(5))))
        elif msg.startswith("Safepoint"):
            total = int(re.search(r"Total: (\d+) ns", msg).group(1)) / 1e6
            safepoints.append((t, total))
    return safepoints, pauses


def main():
    for out in sys.argv[1:]:
        safepoints, pauses = read_log(f"{out}/gc.log")
        kinds = {}
        for p in pauses:
            kinds[p[1]] = kinds.get(p[1], 0) + 1
        capacity = [p[4] for p in pauses]
        print(f"{out}: {len(pauses)} G1 pauses in the log, heap committed {min(capacity, default=0)}-"
              f"{max(capacity, default=0)} MB; "
              + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])))
        for f in sorted(glob.glob(f"{out}/*.closes")):
            rows = [line.split() for line in open(f) if not line.startswith("#")]
            first = min(int(r[2]) for r in rows)
            last = max(int(r[3]) for r in rows)
            stops = [ms for t, ms in safepoints if first <= t <= last and ms >= 1.0]
            # a pause is logged when it ends, its safepoint line just after: allow 1 ms past the window's end
            inside = [p for p in pauses if first <= p[0] <= last + 1_000_000]
            listed = "; ".join(f"+{(t - first) / 1e6:.0f} ms {kind} {ms:.1f} ms {before}M->{after}M({cap}M)"
                               for t, kind, before, after, cap, ms in inside)
            print(f"  {os.path.basename(f)[:-7]:22} window {(last - first) / 1e6:4.0f} ms | pauses {len(stops)}, "
                  f"{sum(stops):5.1f} ms | {listed or '-'}")


main()

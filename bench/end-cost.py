#!/usr/bin/env python3
"""What one session end costs its event loop (issue 17), from a broker's close stamps (bench/close-stamps.patch):
per warm run of bench/mass-close.sh (CLOSES=1), over the loops that ran its ends, the thread CPU in the LoopEnds
slices per end (us: the goodbye, the wire's close down to Netty's and the kernel's, wire.ended), the bytes the
slices allocated per end (ThreadMXBean), and the loops' CPU between slices per end (Netty's deferred close tasks,
the close handlers, and whatever else the loop did meanwhile); beside each, the run's event and device-seen p99.
Then min / median / max per transport.

    bench/end-cost.py DIR [DIR...]     DIR: a mass-close.sh OUT with stamps.txt and warm-*.closes
"""
import glob, os, statistics, sys, json
import importlib.util
spec = importlib.util.spec_from_file_location(
    "join", os.path.join(os.path.dirname(os.path.abspath(__file__)), "close-stamps-join.py"))
j = importlib.util.module_from_spec(spec); spec.loader.exec_module(j)
def mmm(v):
    v = sorted(v); return f"{v[0]:.1f} / {statistics.median(v):.1f} / {v[-1]:.1f}"
for d in sys.argv[1:]:
    st, ticks, slices, pauses, conc = j.load(d)
    per = {}
    for f in sorted(glob.glob(f"{d}/warm-*.closes")):
        t = os.path.basename(f).split("-")[1]
        r = j.run(f, st, ticks, slices, pauses, conc)
        n = sum(l["n"] for l in r["loops"])
        cpu = sum(l["in_cpu"] for l in r["loops"]) * 1e3 / n
        alloc = sum(l["alloc"] * l["n"] for l in r["loops"]) / n
        btw = sum(l["between_cpu"] for l in r["loops"]) * 1e3 / n
        js = json.load(open(f[:-7] + ".json"))
        dev = js["latenessMs"][t]["client"]["p99"]; ev = js["latenessMs"][t]["event"]["p99"]
        load = open(f[:-7] + ".load").read().strip()
        per.setdefault(t, []).append((cpu, alloc, btw, dev, ev, n, len(r["loops"]), load))
        print(f"{d} {os.path.basename(f)}: ends {n} on {len(r['loops'])} loops; slice CPU {cpu:.1f} us/end, slice alloc {alloc:.0f} B/end, "
              f"CPU between slices {btw:.1f} us/end; event p99 {ev:.0f} device p99 {dev:.0f} ms; load {load}")
    for t, rs in per.items():
        print(f"  {d} {t}: slice CPU us/end {mmm([r[0] for r in rs])} | alloc B/end {mmm([r[1] for r in rs])} | between us/end {mmm([r[2] for r in rs])} | event p99 {mmm([r[4] for r in rs])} | device p99 {mmm([r[3] for r in rs])}")

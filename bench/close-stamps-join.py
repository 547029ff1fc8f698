#!/usr/bin/env python3
"""Joins a broker's close stamps (bench/close-stamps.patch, -DcloseStamps=FILE) with the load generator's
--closes-file by device id, and splits each warm run's close lateness into stages (issue 17).

    bench/close-stamps-join.py DIR [DIR...]     DIR: a mass-close.sh OUT with stamps.txt, gc.log, warm-*.closes

All times are System.nanoTime of one machine (CLOCK_MONOTONIC: the broker's and the generator's JVMs agree).
Stages per device, after its deadline: ended (the table ends it in its tick), told (its connection is told),
run (its loop runs the end, LoopEnds slice), shut (the wire's close returned: goodbye and FIN written), sock (the
socket's close handler), polled (the generator's selector saw it), client (the generator's reader closed it).
Per run: the p99 of each stage; the last 1 % of closes (client lateness >= the run's p99) split into the steps
between stages (median over them); per event loop, its span from the first deadline to its last end: CPU in
close slices, CPU between slices (its other tasks and socket I/O), safepoint pauses (gc.log) and the rest (the
thread off a core: waiting for one, or idle); G1's safepoints and concurrent phases (gc.log with
-Xlog:gc*,safepoint:file=...:um,tn) in that span; the table's ticks that ended sessions (start, wall, CPU).
"""
import glob, os, re, statistics, sys

STAGES = ["ended", "told", "run", "shut", "sock"]


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def load(d):
    st, ticks, slices, pauses, conc = {}, [], [], [], []
    for line in open(f"{d}/stamps.txt"):
        p = line.split()
        if p[0] == "#tick":  # start end ends cpu alloc
            ticks.append(list(map(int, p[1:])))
        elif p[0] == "#slice":  # thread start end cpuStart cpuEnd n alloc
            slices.append(list(map(int, p[1:])))
        elif not p[0].startswith("#"):
            st[p[0]] = list(map(int, p[1:]))
    try:
        for line in open(f"{d}/gc.log"):
            m = re.match(r"\[(\d+)ms\]\[(\d+)ns\]\s*Safepoint \"([^\"]+)\".*Total: (\d+) ns", line)
            if m:  # logged at the safepoint's end
                end, tot = int(m.group(2)), int(m.group(4))
                pauses.append((end - tot, end, m.group(3)))
            m = re.match(r"\[(\d+)ms\]\[(\d+)ns\]\s*GC\(\d+\) (Concurrent [A-Za-z ]+?) ([\d.]+)ms$", line)
            if m and m.group(3) not in ("Concurrent Mark Cycle", "Concurrent Mark"):  # logged at the phase's end
                end = int(m.group(2))
                conc.append((end - int(float(m.group(4)) * 1e6), end, m.group(3)))
    except OSError:
        pass
    return st, ticks, slices, pauses, conc


def overlap(a, b, pauses):
    return sum(max(0, min(b, e) - max(a, s)) for s, e, _ in pauses)


def run(path, st, ticks, slices, pauses, conc=()):
    rows = []
    for line in open(path):
        if line.startswith("#"):
            continue
        idd, _, dl, cl, po, bye = line.split()
        s = st.get(idd)
        if s and int(cl) > 0:
            rows.append((int(dl), s, int(cl), int(po)))
    dl0 = min(r[0] for r in rows)
    lat = {n: [(r[1][i] - r[0]) / 1e6 for r in rows if r[1][i]] for i, n in enumerate(STAGES)}
    lat["polled"] = [(r[3] - r[0]) / 1e6 for r in rows]
    lat["client"] = [(r[2] - r[0]) / 1e6 for r in rows]
    p99 = {n: pct(v, 0.99) for n, v in lat.items()}
    last = [r for r in rows if (r[2] - r[0]) / 1e6 >= p99["client"]]
    steps = {}
    chain = [("tick", None, 0), ("told", 0, 1), ("loop queue", 1, 2), ("close written", 2, 3)]
    for name, a, b in chain:
        steps[name] = statistics.median(((r[1][b] - (r[0] if a is None else r[1][a])) / 1e6) for r in last)
    steps["to device"] = statistics.median((r[2] - r[1][3]) / 1e6 for r in last)
    steps["(of which to polled)"] = statistics.median((r[3] - r[1][3]) / 1e6 for r in last)
    steps["client"] = statistics.median((r[2] - r[0]) / 1e6 for r in last)
    loops = {}
    for r in rows:
        loops.setdefault(r[1][5], []).append(r)
    per_loop = []
    for th, rs in sorted(loops.items()):
        end = max(r[1][2] for r in rs)
        sl = sorted((s for s in slices if s[0] == th and dl0 - 5e6 <= s[1] <= end), key=lambda s: s[1])
        if not sl:
            continue
        first_told = min(r[1][1] for r in rs)
        a, b = dl0, sl[-1][2]
        in_cpu = sum(s[4] - s[3] for s in sl)
        between = sum(sl[i + 1][3] - sl[i][4] for i in range(len(sl) - 1))
        gc = overlap(a, b, pauses)
        per_loop.append(dict(thread=th, n=len(rs), slices=len(sl), span=(b - a) / 1e6,
                             first_told=(first_told - a) / 1e6, first_slice=(sl[0][1] - a) / 1e6,
                             in_cpu=in_cpu / 1e6, in_wall=sum(s[2] - s[1] for s in sl) / 1e6,
                             between_cpu=between / 1e6, gc=gc / 1e6,
                             off=(b - a - in_cpu - between - gc) / 1e6,
                             alloc=sum(s[6] for s in sl) / len(rs),
                             max_gap=max([(sl[i + 1][1] - sl[i][2]) / 1e6 for i in range(len(sl) - 1)] or [0])))
    tk = [t for t in ticks if dl0 - 200e6 <= t[0] <= dl0 + 2e9]
    wend = max(r[2] for r in rows)
    win = [(s, e, n) for s, e, n in pauses if dl0 <= e and s <= wend and e - s > 0.2e6]
    lend = max(r[1][2] for r in rows)
    cw = [(s, e, n) for s, e, n in conc if dl0 <= e and s <= lend and e - s > 0.5e6]
    return dict(conc=cw, conc_ms=overlap(dl0, lend, cw) / 1e6, gc_ms=overlap(dl0, lend, pauses) / 1e6,
                n=len(rows), p99=p99, steps=steps, loops=per_loop, ticks=tk, dl0=dl0, nlast=len(last),
                spread=(max(r[0] for r in rows) - dl0) / 1e6, pauses=win)


def main():
    for d in sys.argv[1:]:
        st, ticks, slices, pauses, conc = load(d)
        print(f"== {d}")
        for f in sorted(glob.glob(f"{d}/" + os.environ.get("CLOSES_GLOB", "warm-*.closes"))):
            r = run(f, st, ticks, slices, pauses, conc)
            print(f"{os.path.basename(f)}: n {r['n']}, deadlines spread {r['spread']:.0f} ms")
            print("  p99 after the deadline, ms: " + ", ".join(f"{k} {v:.1f}" for k, v in r["p99"].items()))
            print(f"  last {r['nlast']} closes, median step ms: " + ", ".join(f"{k} {v:.1f}" for k, v in r["steps"].items()))
            for l in r["loops"]:
                print(f"  loop {l['thread']}: {l['n']} ends, {l['slices']} slices; from first deadline: first told "
                      f"{l['first_told']:.1f}, first slice {l['first_slice']:.1f}, last end {l['span']:.1f} ms = CPU in "
                      f"slices {l['in_cpu']:.1f} (wall {l['in_wall']:.1f}) + CPU between slices {l['between_cpu']:.1f} + "
                      f"safepoints {l['gc']:.1f} + off a core {l['off']:.1f}; largest gap {l['max_gap']:.1f}; "
                      f"{l['alloc'] / 1024:.1f} KB allocated per end")
            print("  table ticks that ended sessions (start after first deadline +wall / CPU ms, ends): " + ", ".join(
                f"{(t[0] - r['dl0']) / 1e6:.0f} +{(t[1] - t[0]) / 1e6:.1f}/{t[3] / 1e6:.1f} {t[2]}" for t in r["ticks"]))
            print("  safepoints > 0.2 ms from first deadline to last device close: " + (", ".join(
                f"{(s - r['dl0']) / 1e6:.0f} {n} {(e - s) / 1e6:.1f}" for s, e, n in r["pauses"]) or "-"))
            print(f"  first deadline to last end: safepoints {r['gc_ms']:.1f} ms, G1 concurrent phases {r['conc_ms']:.1f} ms ("
                  + (", ".join(f"{(s - r['dl0']) / 1e6:.0f} {n} {(e - s) / 1e6:.1f}" for s, e, n in r["conc"]) or "-") + ")")


if __name__ == "__main__":
    main()

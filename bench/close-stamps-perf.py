#!/usr/bin/env python3
"""Who had the cores in each warm mass close (issue 17): CPU time by process (broker: the JVM with vert.x event loops;
generator; other) and thread (each event loop, C2/C1 compiler, GC, vert.x workers = the table's context, ...) from the
first deadline to the last FIN the broker wrote, and from there to the last close a device saw.

    perf record -e sched:sched_switch -e sched:sched_wakeup -k mono [-C CPU | -a] -o DIR/perf.data -- <mass-close.sh>
    perf script -i DIR/perf.data --ns -F comm,pid,tid,cpu,time,event,trace > DIR/perf.txt
    bench/close-stamps-perf.py DIR/perf.txt DIR

DIR: a mass-close.sh OUT with CLOSES=1 and the broker's close stamps (bench/close-stamps.patch, read by
bench/close-stamps-join.py). -k mono: perf's clock is then System.nanoTime's. Also prints, per run, how long the
broker's event loops waited from a wake-up to a core in the window.
"""
import re, sys, glob, os, collections, importlib.util
spec = importlib.util.spec_from_file_location('csj', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'close-stamps-join.py'))
csj = importlib.util.module_from_spec(spec); spec.loader.exec_module(csj)
txt, d = sys.argv[1], sys.argv[2]
hdr = re.compile(r'\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+sched:(\w+):\s+(.*)')
swt = re.compile(r'prev_comm=(.+?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)')
wk = re.compile(r'comm=(.+?) pid=(\d+) ')
tid2pid = {}; events = []
for line in open(txt):
    m = hdr.match(line)
    if not m: continue
    tid2pid[int(m.group(3))] = int(m.group(2))
    events.append((int(m.group(4)), int(m.group(5)) * 10**9 + int(m.group(6).ljust(9, '0')[:9]), m.group(7), m.group(8)))
comms = collections.defaultdict(set)
cur = {}; iv = collections.defaultdict(list); wake = {}; rq = []  # rq: (tid, wake time, run time)
for cpu, t, ev, rest in events:
    if ev == 'sched_wakeup':
        w = wk.match(rest)
        if w: wake[int(w.group(2))] = t
        continue
    s = swt.match(rest)
    if not s: continue
    comms[int(s.group(2))].add(s.group(1)); comms[int(s.group(5))].add(s.group(4))
    if cpu in cur:
        a, comm, tid = cur[cpu]; iv[cpu].append((a, t, comm, tid, s.group(3)))
    nt = int(s.group(5)); cur[cpu] = (t, s.group(4), nt)
    if nt in wake: rq.append((nt, wake.pop(nt), t))
broker = {tid2pid.get(t) for t, c in comms.items() if 'vert.x-eventloo' in c} - {None}
def cls(comm, tid):
    pid = tid2pid.get(tid)
    who = 'broker' if pid in broker else ('other' if comm.startswith(('swapper', 'ksoftirq', 'kworker', 'rcu', 'migration', 'perf')) or pid is None else 'generator')
    if comm.startswith('swapper'): return 'idle'
    base = re.sub(r'[#/]?\d+$', '', comm).strip()
    if base.startswith('vert.x-eventloo'): base = f'event loop {tid}'
    if base.startswith('vert.x-worker'): base = 'vert.x-worker (all)'
    return f"{who}:{base}"
st, ticks, slices, pauses, conc = csj.load(d)
for f in sorted(glob.glob(f"{d}/warm-*.closes")):
    rows = [l.split() for l in open(f) if not l.startswith('#')]
    rows = [x for x in rows if x[0] in st and int(x[3]) > 0]
    a = min(int(x[2]) for x in rows); b = max(st[x[0]][3] for x in rows); c = max(int(x[3]) for x in rows)
    for lab, lo, hi in (('deadline..last FIN', a, b), ('last FIN..last device close', b, c)):
        tot = collections.Counter()
        for cpu, L in iv.items():
            for s0, e0, comm, tid, state in L:
                o = min(e0, hi) - max(s0, lo)
                if o > 0: tot[cls(comm, tid)] += o
        L = sorted(((v, n) for n, v in tot.items()), reverse=True)
        print(f"{os.path.basename(f)} {lab} {(hi - lo) / 1e6:.1f} ms (x{len(iv)} CPUs): " + ", ".join(f"{n} {v/1e6:.1f}" for v, n in L if v > 0.3e6))
    loops = {tid for tid, c in comms.items() if 'vert.x-eventloo' in c and tid2pid.get(tid) in broker}
    lat = [(r - w) / 1e6 for tid, w, r in rq if tid in loops and a <= r <= b]
    if lat:
        lat.sort(); print(f"   broker loops' wake-up to on-CPU in the window: n {len(lat)}, p50 {lat[len(lat)//2]:.2f}, max {lat[-1]:.1f}, sum {sum(lat):.1f} ms")

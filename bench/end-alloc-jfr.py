#!/usr/bin/env python3
"""Where a session end's allocation goes (issue 17), from a broker's JFR recording over bench/mass-close.sh's warm
runs (BROKER_JAVA_OPTS="-XX:StartFlightRecording=settings=<profile.jfc, jdk.ObjectAllocationSample throttle raised
to 20000/s>,filename=FILE,dumponexit=true"): the event loops' allocation samples (weighted, so sums estimate bytes)
in each warm run's window, per end, by kind of stack, by who allocates (the top frame outside the JDK: ours,
Vert.x, vertx-mqtt, Netty, Jackson), by class and by site.

    bench/end-alloc-jfr.py FILE.jfr LOG [TOP]

LOG: the script's output (its 'mass-close: HH:MM:SS NAME' lines, UTC as JFR's times); each warm run's window runs
from its line to the next, and in it the loops end 2,000 sessions (the generator's rehearsal and the measured
run, REHEARSE=1000). 'end': the stack holds LoopEnds.slice (the goodbye, the wire's close, wire.ended); 'close
tasks': Netty's deferred close work and the close handlers (channelInactive, deregister, handleClosed), not an
accept's. Slow: `jfr print --json` of the whole file (minutes for a few MB).
"""
import json, re, subprocess, sys, collections, datetime
jfr, log = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 12
wins = []
day = None
for line in open(log):
    m = re.match(r"mass-close: (\d\d:\d\d:\d\d) (\S+)", line)
    if m:
        wins.append((m.group(1), m.group(2)))
out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "40", "--events",
                      "jdk.ObjectAllocationSample", jfr],
                     capture_output=True, text=True, check=True).stdout
evs = json.loads(out)["recording"]["events"]
def hms(ev):
    return ev["values"]["startTime"][11:19]
def frames(ev):
    st = ev["values"].get("stackTrace") or {}
    return [f"{f['method']['type']['name'].replace('/', '.')}.{f['method']['name']}" for f in st.get("frames", [])]
def thread(ev):
    v = ev["values"]
    t = v.get("eventThread") or v.get("sampledThread") or {}
    return (t or {}).get("javaName") or ""
CLOSE = ("AbstractChannel$AbstractUnsafe$", "fireChannelInactive", "channelInactive", "doDeregister",
         "handleClosed", "Link.socketClosed")
ACCEPT = ("NetSocketInitializer", "Transport.accept", "ServerBootstrapAcceptor", "channelRegistered", "handlerAdded")
def kind(fs):
    if any("LoopEnds.slice" in f for f in fs):
        return "end"
    if any(any(c in f for c in CLOSE) for f in fs) and not any(any(a in f for a in ACCEPT) for f in fs):
        return "close tasks"
    return "other"
def owner(f):
    if f.startswith("io.sessionbroker."): return "ours"
    if f.startswith("io.vertx.mqtt"): return "vertx-mqtt"
    if f.startswith("io.vertx."): return "Vert.x"
    if f.startswith("io.netty."): return "Netty"
    if f.startswith("com.fasterxml."): return "Jackson"
    return "JDK"
def window(t):
    name = None
    for (s, n) in wins:
        if s <= t: name = n
    return name
runs = collections.OrderedDict()
for ev in evs:
    if not thread(ev).startswith("vert.x-eventloop-thread"):
        continue
    w = window(hms(ev))
    if not w or not w.startswith("warm-"):
        continue
    t = w.split("-")[1]
    fs = frames(ev)
    k = kind(fs)
    typ = ev["type"]
    r = runs.setdefault(t, collections.defaultdict(lambda: collections.Counter()))
    if typ == "jdk.ObjectAllocationSample":
        wgt = ev["values"]["weight"]
        r["alloc"][k] += wgt
        if k != "other":
            r["alloc_top"][fs[0] if fs else "?"] += wgt
            r["alloc_owner"][next((owner(f) for f in fs if owner(f) != "JDK"), "JDK")] += wgt
            r["alloc_class"][ev["values"]["objectClass"]["name"]] += wgt
nruns = collections.Counter(w.split("-")[1] for _, w in wins if w.startswith("warm-"))
for t, r in runs.items():
    ends = 2000 * nruns[t]
    print(f"== {t}: {nruns[t]} run(s), {ends} ends (rehearsal + measured)")
    print("  allocated, B per end: " + ", ".join(f"{k} {v / ends:.0f}" for k, v in r["alloc"].items()))
    tot = sum(v for k, v in r["alloc"].items() if k != "other")
    print("  end + close tasks allocation by owner (first non-JDK frame): " + ", ".join(f"{k} {v / ends:.0f} B ({100 * v / tot:.0f} %)" for k, v in r["alloc_owner"].most_common()))
    print("  ... by class: " + ", ".join(f"{k} {v / ends:.0f}" for k, v in r["alloc_class"].most_common(top)))
    print("  ... by site:")
    for k, v in r["alloc_top"].most_common(top):
        print(f"     {v / ends:6.0f} B  {k}")

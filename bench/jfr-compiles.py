#!/usr/bin/env python3
"""What the JIT compiled, and when, from a JFR recording of the broker (issue 17: what keeps C2 busy in a cold
ramp and storm). JFR's default settings record only compilations over 1 s; `jfc` writes settings that record
every one, and every deoptimization:

    bench/jfr-compiles.py jfc OUT.jfc            default.jfc of this JDK with jdk.Compilation at 0 ms and
                                                 jdk.Deoptimization on
    BROKER_JAVA_OPTS="-XX:StartFlightRecording=filename=REC.jfr,settings=OUT.jfc" bin/broker ...
    date +%s.%N > T0; <the load>; jcmd PID JFR.dump filename=REC.jfr
    bench/jfr-compiles.py report REC.jfr T0 [TOP]

`report` splits the compilations at T0 (a wall-clock second, as `date +%s.%N` prints it) into before (the start
and its rehearsal) and after (the load): C1 and C2 compile time in each, C2 time per second, the C2 compiles
after T0 of methods that C2 had not compiled before T0, the methods C2 compiled more than once, the TOP (default
25) longest C2 compiles after T0, and the deoptimizations after T0 by reason. A compile's time is its wall time on
its compiler thread: on a loaded machine it includes time off the CPU.
"""
import collections
import json
import re
import subprocess
import sys
from datetime import datetime


def write_jfc(out):
    java_home = subprocess.run(["java", "-XshowSettings:properties", "-version"], capture_output=True,
                               text=True).stderr
    home = re.search(r"java\.home = (\S+)", java_home).group(1)
    text = open(f"{home}/lib/jfr/default.jfc").read()

    def setting(event, name, value):
        nonlocal text
        m = re.search(r'(<event name="%s">)(.*?)(</event>)' % re.escape(event), text, re.S)
        body = re.sub(r'(<setting name="%s"[^>]*>)[^<]*(</setting>)' % name, r"\g<1>%s\g<2>" % value, m.group(2))
        text = text[:m.start()] + m.group(1) + body + m.group(3) + text[m.end():]

    setting("jdk.Compilation", "enabled", "true")
    setting("jdk.Compilation", "threshold", "0 ms")
    setting("jdk.Deoptimization", "enabled", "true")
    open(out, "w").write(text)


def stamp(iso):
    """JFR's ISO time (nanoseconds, Z) as epoch seconds."""
    head, frac = iso.rstrip("Z").split(".") if "." in iso else (iso.rstrip("Z"), "0")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float("0." + frac)


def events(recording, name):
    out = subprocess.run(["jfr", "print", "--json", "--events", name, recording], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)["recording"]["events"]


def report(recording, t0_file, top):
    t0 = float(open(t0_file).read())
    compiles, seen = [], set()
    for e in events(recording, "jdk.Compilation"):
        v = e["values"]
        if v["compileId"] in seen:  # a dump and the exit's write of the same chunk
            continue
        seen.add(v["compileId"])
        m = v["method"]
        compiles.append({"t": stamp(v["startTime"]) - t0, "s": float(v["duration"][2:-1]),
                         "level": v["compileLevel"], "osr": v["isOsr"],
                         "method": m["type"]["name"].replace("/", ".") + "." + m["name"],
                         "code": v.get("codeSize", 0), "inlined": v.get("inlinedBytes", 0)})
    before = [c for c in compiles if c["t"] < 0]
    after = [c for c in compiles if c["t"] >= 0]
    for label, part in (("before T0", before), ("after T0", after)):
        c2 = [c for c in part if c["level"] == 4]
        c1 = [c for c in part if c["level"] != 4]
        print(f"{label}: C2 {len(c2)} compiles, {sum(c['s'] for c in c2):.2f} s; "
              f"C1 {len(c1)} compiles, {sum(c['s'] for c in c1):.2f} s")
    per_second = collections.Counter()
    for c in compiles:
        if c["level"] == 4:
            per_second[int(c["t"] // 1)] += c["s"]
    print("C2 seconds per second (second from T0: time):",
          " ".join(f"{k}:{v:.2f}" for k, v in sorted(per_second.items())))
    c2_before = {c["method"] for c in before if c["level"] == 4}
    after_c2 = [c for c in after if c["level"] == 4]
    first = [c for c in after_c2 if c["method"] not in c2_before]
    print(f"C2 after T0 of methods C2 had not compiled before: {len(first)} compiles, "
          f"{sum(c['s'] for c in first):.2f} s of {sum(c['s'] for c in after_c2):.2f} s")
    by_package = collections.Counter()
    for c in first:
        by_package[".".join(c["method"].split(".")[:3])] += c["s"]
    print("  by package:", ", ".join(f"{k} {v:.2f} s" for k, v in by_package.most_common(10)))
    counts = collections.Counter(c["method"] for c in compiles if c["level"] == 4)
    again = [c for c in compiles if c["level"] == 4 and counts[c["method"]] > 1]
    print(f"C2 compiles, whole recording, of methods C2 compiled more than once: {len(again)}, "
          f"{sum(c['s'] for c in again):.2f} s")
    big = [c for c in after_c2 if c["s"] > 0.05]
    print(f"C2 compiles after T0 over 50 ms: {len(big)}, {sum(c['s'] for c in big):.2f} s; the longest:")
    for c in sorted(after_c2, key=lambda c: -c["s"])[:top]:
        print(f"  {c['t']:6.2f} s  {c['s'] * 1000:5.0f} ms  code {c['code']:6d} B  inlined {c['inlined']:5d} B  "
              f"{c['method']}")
    reasons = collections.Counter()
    deopts = set()
    for e in events(recording, "jdk.Deoptimization"):
        v = e["values"]
        key = (v["startTime"], v["method"]["name"], v.get("bci"))
        if key in deopts or stamp(v["startTime"]) < t0:
            continue
        deopts.add(key)
        reasons[(v["reason"], v["action"])] += 1
    print(f"deoptimizations after T0: {len(deopts)};",
          ", ".join(f"{r}/{a} {n}" for (r, a), n in reasons.most_common(8)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "jfc":
        write_jfc(sys.argv[2])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else 25)
    else:
        sys.exit(__doc__)

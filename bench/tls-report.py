#!/usr/bin/env python3
"""Summarises bench/tls.sh's results: medians over the runs (min–max beside), as a Markdown table."""
import glob, json, os, re, statistics, sys

out = sys.argv[1]
results = {}
for f in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(f)[:-5]
    m = re.match(r"(.*)-(\d+)$", name)
    if not m or name.startswith("warmup"):
        continue
    with open(f) as fh:
        results.setdefault(m.group(1), []).append(json.load(fh))


def fig(test, path, fmt="{:,.0f}"):
    vals = []
    for r in results.get(test, []):
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            vals.append(v)
    if not vals:
        return "—"
    s = fmt.format(statistics.median(vals))
    return s if len(vals) == 1 else f"{s} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"


def failed(test):
    return sum(r["totals"]["failed"] + r["totals"]["unexpectedCloses"] for r in results.get(test, []))


rows = [
    ("ours", "MQTT"), ("mosquitto", "MQTT"), ("ours", "raw TCP"),
]
print("| broker | transport | | connects/s | broker CPU µs / connect | RSS growth B / session (fresh broker, 10,000 held) | broker CPU ms / 1,000 PINGREQ | failed or lost |")
print("|---|---|---|---|---|---|---|---|")
for broker, transport in rows:
    t = "mqtt" if transport == "MQTT" else "tcp"
    for mode in ("plain", "tls"):
        c = f"connect-{broker}-{t}-{mode}"
        mem = f"mem-{broker}-{mode}" if t == "mqtt" else None
        ping = f"ping-{broker}-{mode}" if t == "mqtt" else None
        print(f"| {broker} | {transport} | {'TLS' if mode == 'tls' else 'plain'} "
              f"| {fig(c, ['totals', 'connectsPerS'])} | {fig(c, ['broker', 'cpuUsPerConnect'])} "
              f"| {fig(mem, ['broker', 'rssPerSessionBytes']) if mem else '—'} "
              f"| {fig(ping, ['broker', 'cpuMsPer1000Pings'], '{:.1f}') if ping else '—'} "
              f"| {failed(c) + (failed(mem) + failed(ping) if mem else 0)} |")
runs = max((len(v) for v in results.values()), default=0)
print(f"\nruns: {runs}; medians, (min–max) over the runs")
loads = sorted(glob.glob(os.path.join(out, "*.load")))
print("load average (1/5/15 min) before each test: " + "; ".join(
    os.path.basename(f)[:-5] + " " + open(f).read().strip() for f in loads if "warmup" not in f))

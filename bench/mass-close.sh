#!/usr/bin/env bash
# Mass close and reconnect storm (issue 17): the load generator's runs of docs/benchmarks.md, "Mass close and
# reconnect storm", in one script: the broker's first mass expiry (cold), 1,000 devices of each transport silent at
# once on a warm broker, 10,000 of 19,000 at once, the reconnect storm of 19,000, Mosquitto's mass close beside ours.
# Build the jars first (mvn -B -q -Dmaven.test.skip=true package -pl broker,bench -am). About 5 minutes for RUNS=2.
#   bench/mass-close.sh [RUNS] [PARTS]     PARTS: any of cold,warm,split,big,storm,storm-warm,mosquitto (default
#     all but storm-warm)
# storm-warm: the reconnect storm on one broker that has already been through one (a warm-up storm, discarded),
# RUNS storms one after the other; storm: a fresh broker per run, so its ramp and storm are the broker's first.
# split: the warm TCP run again with the load generator in two processes of 500 devices, to see how much of the
# device-seen lateness is the generator's own single reader thread. "polled" beside "device": the same close stamped
# when the selector poll that reported it returned, before the reader handled the sockets ahead of it in that poll.
# Env: OUT (default bench/target/mass-close), PORT_BASE (default 9000: tcp PORT_BASE, udp +1, websocket +80,
#      http +70, bridge +900, mqtt PORT_BASE-5117, Mosquitto PORT_BASE+4884), BROKER_JAVA_OPTS (passed to bin/broker),
#      ROOT (the checkout whose bin/broker and bench/target/benchmarks.jar run; default this one).
#      TRANSPORTS (the transports of the cold and warm runs, space-separated; default "tcp mqtt websocket udp").
#      REHEARSE (default 1000): the warm, split and big runs' load generator first runs an unmeasured mass close of
#      that many devices in each of its JVMs (--rehearse; in rounds of its own devices), so that its close path is
#      compiled before it measures the broker's; 0 = none (the figures before the seventh round; the big runs' before
#      the eighteenth). Never in the cold runs: it would warm the broker.
#      CLOSES (set: each run also writes $out/NAME.closes, the raw close times, --closes-file).
#      LG_JAVA_OPTS (the load generator's JVM options in the mass closes, every process of it; default
#      -XX:TieredStopAtLevel=1, C1 only: with C2 it compiled its close path inside the window it measures, on the
#      broker's cores, docs/benchmarks.md "The load generator's JIT in the window, eighteenth round"; LG_JAVA_OPTS=
#      gives the figures before that round), LG_STORM_JAVA_OPTS (the same for the storms; default C1 only too). STORM_WARM_CONNECTS (the storms'
#      generator processes first connect and close this many each, --warm-connects; default none).
#      BENCH_BROKER_CPUS, BENCH_LG_CPUS (bench/lib.sh): pin the broker and the load generator to CPUs of their own.
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
runs="${1:-2}"
parts="${2:-cold,warm,split,big,storm,mosquitto}"
out="${OUT:-$root/bench/target/mass-close}"
base="${PORT_BASE:-9000}"
jar="$root/bench/target/benchmarks.jar"
bench_name=mass-close
mqtt_port=$((base - 5117))
mosquitto_port=$((base + 4884))
. "$root/bench/lib.sh"
lg() {  # lg NAME ARGS...: one load test; JSON in $out/NAME.json
  local name="$1"; shift
  echo "java $lg_java_opts -cp bench/target/benchmarks.jar io.sessionbroker.bench.load.LoadGen $* --broker-pid PID" > "$out/$name.cmd"
  log "$name (load $(load))"; load > "$out/$name.load"
  overflows > "$out/$name.listen-before"
  ${BENCH_LG_CPUS:+taskset -c "$BENCH_LG_CPUS"} java $lg_java_opts -cp "$jar" io.sessionbroker.bench.load.LoadGen "$@" --broker-pid "$pid" \
    --json "$out/$name.json" \
    > "$out/$name.txt" 2>&1 || log "$name failed (see $out/$name.txt)"
  overflows > "$out/$name.listen-after"
  sleep 1
}
overflows() {  # the kernel's count of connects dropped because a listener's accept queue was full
  nstat -az TcpExtListenOverflows 2>/dev/null | awk '/TcpExtListenOverflows/ {print $2}'
}
silent1000() {  # silent1000 NAME TRANSPORTS [ARGS...]: 1,000 devices per transport silent at once
  local name="$1" transports="$2"; shift 2
  local n=$((1000 * $(tr ',' '\n' <<< "$transports" | wc -l)))
  lg "$name" $ours --transports "$transports" --devices "$n" --rate 2000 --heartbeat-ms 2000 --hold-s 3 --silent 1 \
    --prefix "$name-" ${CLOSES:+--closes-file "$out/$name.closes"} "$@"
}
rehearse="${REHEARSE:-1000}"
lg_java_opts="${LG_JAVA_OPTS--XX:TieredStopAtLevel=1}"
# The storms' four generator JVMs compile for their whole run (C2 took 3.5-4.4 s of CPU in a 12.5 s storm window,
# as much as the broker's event loops): there they run C1 only, unless LG_STORM_JAVA_OPTS says otherwise
# (docs/benchmarks.md, "The reconnect storm, warm and cold, eleventh round").
storm_java_opts="${LG_STORM_JAVA_OPTS--XX:TieredStopAtLevel=1}"
warm_opts=()  # the warm and split runs: the generator rehearses its close path first (REHEARSE)
[ "$rehearse" -gt 0 ] && warm_opts=(--rehearse "$rehearse")

if want cold; then
  for run in $(seq 1 "$runs"); do  # the broker's first mass expiry: a fresh broker per transport
    for t in ${TRANSPORTS:-tcp mqtt websocket udp}; do
      start_broker "cold-$t-$run"; silent1000 "cold-$t-$run" "$t"; stop
    done
  done
fi
if want warm || want split || want big; then
  start_broker warm
  for w in 1 2; do
    lg "warmup-$w" $ours --transports tcp,mqtt,websocket,udp --devices 4000 --rate 4000 --heartbeat-ms 2000 \
      --hold-s 3 --silent 0.5 --prefix "w$w-"
  done
  for run in $(seq 1 "$runs"); do
    if want warm; then
      for t in ${TRANSPORTS:-tcp mqtt websocket udp}; do silent1000 "warm-$t-$run" "$t" "${warm_opts[@]}"; done
    fi
    want split && silent1000 "split-tcp-$run" tcp --per-process 500 \
      ${warm_opts[@]:+--rehearse $((rehearse < 500 ? rehearse : 500))}
  done
  if want big; then  # 10,000 of 19,000 connection sessions at once, on the warm broker; each generator process
    # rehearses too (docs/benchmarks.md, "The load generator's JIT in the window, eighteenth round")
    for run in $(seq 1 "$runs"); do
      lg "big-$run" $ours --transports tcp,mqtt,websocket --devices 19000 --per-process 9500 --rate 5000 \
        --heartbeat-ms 2000 --hold-s 3 --silent 0.52632 --grace-ms 6000 --prefix "b$run-" \
        ${CLOSES:+--closes-file "$out/big-$run.closes"} "${warm_opts[@]}"
    done
  fi
  stop
fi
storm() {  # storm NAME PREFIX: 19,000 connection sessions cut at once and reconnecting at once
  lg_java_opts="$storm_java_opts" lg "$1" $ours --transports tcp,mqtt,websocket --devices 19000 --per-process 4750 \
    --rate 0 --max-pending 1000 --heartbeat-ms 30000 --hold-s 3 --storm 1 --prefix "$2" \
    ${STORM_WARM_CONNECTS:+--warm-connects "$STORM_WARM_CONNECTS"}
}
if want storm; then
  for run in $(seq 1 "$runs"); do  # a fresh broker per run
    start_broker "storm-$run"; storm "storm-$run" "s$run-"; stop
  done
fi
if want storm-warm; then  # one broker: a storm to warm it (discarded), then RUNS storms
  start_broker storm-warm
  storm storm-warmup sw-
  for run in $(seq 1 "$runs"); do storm "storm-warm-$run" "sw$run-"; done
  stop
fi
if want mosquitto; then
  start_mosquitto
  mosq="--mqtt-port $((base + 4884)) --bridge-port 0"
  for run in $(seq 1 "$runs"); do
    lg "mosquitto-$run" $mosq --transports mqtt --devices 1000 --rate 2000 --heartbeat-ms 2000 --hold-s 3 \
      --silent 1 --grace-ms 8000 --prefix "q$run-"
  done
  stop
fi
python3 - "$out" <<'EOF'
import glob, json, re, statistics, sys
out = sys.argv[1]
def runs(prefix):
    found = {}
    for f in glob.glob(f"{out}/{prefix}-[0-9].json"):
        found[f] = json.load(open(f))
    return [found[k] for k in sorted(found)]
def mmm(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    fmt = lambda v: f"{v:,.0f}" if v >= 10 else f"{v:,.2f}"
    return " / ".join(fmt(v) for v in (min(vals), statistics.median(vals), max(vals))) + f" (n={len(vals)})"
def lat(r, t, kind, q="p99"):
    return r.get("latenessMs", {}).get(t, {}).get(kind, {}).get(q)
print("min / median / max of the runs' p99, ms")
for group in ["cold", "warm", "split"]:
    for t in ["tcp", "mqtt", "websocket", "udp"]:
        rs = runs(f"{group}-{t}")
        if not rs:
            continue
        early = sum((lat(r, t, k, "early") or 0) for r in rs for k in ("broker", "client"))
        reasons = {}
        for r in rs:
            for k, v in r.get("closeReasons", {}).items():
                reasons[k] = reasons.get(k, 0) + v
        print(f"{group:5} {t:9} event {mmm([lat(r, t, 'event') for r in rs])} | broker {mmm([lat(r, t, 'broker') for r in rs])}"
              f" | device {mmm([lat(r, t, 'client') for r in rs])} | polled {mmm([lat(r, t, 'polled') for r in rs])} | bye {mmm([lat(r, t, 'bye') for r in rs])}"
              f" | early {early} | {reasons} | not closed {sum(r['totals'].get('missingClientCloses', 0) for r in rs)}")
rs = runs("big")
if rs:
    print(f"big   all       event {mmm([lat(r, 'all', 'event') for r in rs])} | broker {mmm([lat(r, 'all', 'broker') for r in rs])}"
          f" | device {mmm([lat(r, 'all', 'client') for r in rs])} | per transport device p99 "
          + ", ".join(f"{t} {mmm([lat(r, t, 'client') for r in rs])}" for t in ["tcp", "mqtt", "websocket"]))
def dropped(name):
    try:
        return int(open(f"{out}/{name}.listen-after").read()) - int(open(f"{out}/{name}.listen-before").read())
    except (OSError, ValueError):
        return None
for name in ["big", "storm", "storm-warm"]:
    d = [dropped(f[len(out) + 1:-5]) for f in sorted(glob.glob(f"{out}/{name}-[0-9].json"))]
    if d:
        print(f"{name}: connects dropped on a full accept queue (TcpExtListenOverflows) per run: {d}")
for name in ["storm", "storm-warm"]:
  rs = runs(name)
  if rs:
    s = [r["storm"] for r in rs]
    print(f"{name} last welcome s {mmm([x['lastWelcomeS'] for x in s])} | last close event s {mmm([x.get('lastCloseEventS') for x in s])}"
          f" | cut {[x['cut'] for x in s]} | not back {[x['notBack'] for x in s]} | reasons {[x['closeReasons'] for x in s]}"
          f" | ramp connects/s {mmm([r['totals']['connectsPerS'] for r in rs])}")
rs = runs("mosquitto")
if rs:
    print(f"mosquitto mqtt device {mmm([lat(r, 'mqtt', 'client') for r in rs])} | polled {mmm([lat(r, 'mqtt', 'polled') for r in rs])}")
EOF

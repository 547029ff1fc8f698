#!/usr/bin/env bash
# What a connection session costs the broker (issue 17): CPU per connect (TCP, MQTT; warm), RSS and live heap per
# session at 19,000 mixed TCP/MQTT/WebSocket (fresh broker, bin/broker's JVM flags), CPU per 1,000 PINGREQs, with
# Mosquitto beside ours. About 7 minutes for the default 3 runs; build the jars first
# (mvn -B -q -Dmaven.test.skip=true package -pl broker,bench -am).
#   bench/session-cost.sh [RUNS] [PARTS]     PARTS: any of connect,ping,memory,mosquitto (default all), and
#     memory-warm (not in the default: 19,000 mixed twice on one broker, every session closed between),
#     memory-held (not in the default: the memory part's sessions held HELD_S seconds, 150; RSS at the end)
#     heartbeats (not in the default: CPU per 1,000 TCP and per 1,000 WebSocket `ping` frames, as the ping part
#     measures PINGREQs: 10,000 devices, 2 s heartbeats, 5,000 a second, on the warm broker after one discarded run each)
# Env: OUT (default bench/target/session-cost), PORT_BASE (default 21000: tcp PORT_BASE, udp +1, websocket +80,
#      http +70, bridge +900, mqtt PORT_BASE+883, Mosquitto PORT_BASE-5116), BROKER_JAVA_OPTS (passed to bin/broker),
#      ROOT (the checkout whose bin/broker and bench/target/benchmarks.jar run; default this one).
#      LG_JAVA_OPTS (the load generator's JVM options, every process of it; default none).
#      WARM_CONNECTS (connects each generator process makes and closes, unmeasured, before a connect run; 15000).
#      JAVA_HOME (the broker's JDK, as bin/broker takes it, and the jcmd that reads its heap; the load generator
#      runs on the java of the PATH either way).
# Figures come from the load generator's BrokerSampler (/proc/PID utime+stime and RSS) and jcmd GC.class_histogram.
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
runs="${1:-3}"
parts="${2:-connect,ping,memory,mosquitto}"
out="${OUT:-$root/bench/target/session-cost}"
base="${PORT_BASE:-21000}"
jar="$root/bench/target/benchmarks.jar"
bench_name=session-cost
mqtt_port=$((base + 883))
mosquitto_port=$((base - 5116))
. "$root/bench/lib.sh"
mosq="--mqtt-port $mosquitto_port --bridge-port 0"
lg() {  # lg NAME ARGS...: one load test; JSON in $out/NAME.json
  local name="$1"; shift
  echo "java ${LG_JAVA_OPTS:-} -cp bench/target/benchmarks.jar io.sessionbroker.bench.load.LoadGen $* --broker-pid PID" > "$out/$name.cmd"
  log "$name (load $(load))"; load > "$out/$name.load"
  java ${LG_JAVA_OPTS:-} -cp "$jar" io.sessionbroker.bench.load.LoadGen "$@" --broker-pid "$pid" --json "$out/$name.json" \
    > "$out/$name.txt" 2>&1 || log "$name failed (see $out/$name.txt)"
  sleep 1
}
live_heap() { "${JAVA_HOME:+$JAVA_HOME/bin/}jcmd" "$pid" GC.class_histogram > "$out/$1.histo"; awk '/^Total/ {print $3}' "$out/$1.histo"; }
heartbeats() {  # heartbeats NAME TRANSPORT: 10,000 devices, a ping every 2 s, held 10 s
  lg "$1" $ours --transports "$2" --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 --prefix "$1-"
}
connects() {  # the suite's connect test: 10,000 devices, two load-generator processes, 1,000 in flight each;
  # each process first connects and closes WARM_CONNECTS of its own (default 15,000, in rounds of 5,000), unmeasured, so that the
  # connects it measures are not made by a generator still compiling its connect path (twelfth round)
  lg "$1" $2 --transports "$3" --devices 10000 --per-process 5000 --rate 0 --max-pending 1000 \
    --heartbeat-ms 30000 --hold-s 0 --prefix "$1-" --warm-connects "${WARM_CONNECTS:-15000}"
}

if want connect || want ping || want heartbeats; then
  start_broker warm
  # warm-up, discarded: the JIT compiles the connect path over the first tens of thousands of connects
  for w in 1 2 3 4; do connects "warmup-$w" "$ours" tcp,mqtt; done
  lg warmup-ping $ours --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 --prefix wp-
  for run in $(seq 1 "$runs"); do
    if want connect; then
      connects "connect-tcp-$run" "$ours" tcp
      connects "connect-mqtt-$run" "$ours" mqtt
    fi
    if want ping; then
      lg "ping-ours-$run" $ours --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 \
        --prefix "p$run-"
    fi
    if want heartbeats; then
      for t in tcp websocket; do
        [ "$run" = 1 ] && heartbeats "heartbeat-$t-warmup" "$t"
        heartbeats "heartbeat-$t-$run" "$t"
      done
    fi
  done
  stop
fi
if want mosquitto; then
  start_mosquitto
  for run in $(seq 1 "$runs"); do
    want connect && connects "connect-mqtt-mosquitto-$run" "$mosq" mqtt
    want ping && lg "ping-mosquitto-$run" $mosq --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 \
      --hold-s 10 --prefix "p$run-"
  done
  stop
fi
if want memory; then
  for run in $(seq 1 "$runs"); do
    start_broker "memory-$run"
    live_heap "heap-idle-$run" > "$out/heap-idle-$run.txt"; sleep 2
    ( for _ in $(seq 1 600); do
        [ "$(python3 "$root/bench/bridge-count.py" 127.0.0.1 $((base + 900)) 2>/dev/null \
          | sed -n 's/.*"total" *: *\([0-9]*\).*/\1/p')" = 19000 ] && break
        sleep 0.5
      done
      sleep 3; live_heap "heap-held-$run" > "$out/heap-held-$run.txt"
      grep -E 'VmRSS|RssAnon|RssFile' "/proc/$pid/status" > "$out/rss-held-$run.txt" ) &
    reader=$!
    lg "memory-$run" $ours --transports tcp,mqtt,websocket --devices 19000 --rate 5000 --heartbeat-ms 30000 \
      --hold-s 10 --prefix "m$run-"
    wait "$reader"
    stop
  done
fi
bridge_total() { python3 "$root/bench/bridge-count.py" 127.0.0.1 $((base + 900)) 2>/dev/null \
  | sed -n 's/.*"total" *: *\([0-9]*\).*/\1/p'; }
if want memory-held; then
  # The "memory" sessions held for HELD_S seconds (150) instead of 10: "memory" reads RSS when the last
  # session has opened, which is the connect storm's footprint (G1 gives back what it committed for the
  # storm only after a marking cycle; -XX:G1PeriodicGCInterval=60000 in bin/broker starts one a minute).
  # This reads it again at the hold's end (rssHeldKb), and VmRSS every 5 s meanwhile (rss-held-series).
  for run in $(seq 1 "$runs"); do
    start_broker "memory-held-$run"
    sleep 2
    ( while kill -0 "$pid" 2>/dev/null; do
        echo "$(date +%s) $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) $(bridge_total)"
        sleep 5
      done ) > "$out/rss-held-series-$run.txt" &
    sampler=$!
    lg "memory-held-$run" $ours --transports tcp,mqtt,websocket --devices 19000 --rate 5000 \
      --heartbeat-ms 30000 --hold-s "${HELD_S:-150}" --prefix "h$run-"
    kill "$sampler" 2>/dev/null || true
    stop
  done
fi
if want memory-warm; then
  # The same storm twice on one broker: the second is what a session costs once the JIT has compiled the
  # connect paths (its one-off code, metaspace and compiler memory are in the second baseline). Between the
  # two, every session closed and a full GC (the histogram), as before the first.
  for run in $(seq 1 "$runs"); do
    start_broker "memory-warm-$run"
    live_heap "heap-warm-idle-$run" > /dev/null
    lg "memory-first-$run" $ours --transports tcp,mqtt,websocket --devices 19000 --rate 5000 \
      --heartbeat-ms 30000 --hold-s 2 --prefix "f$run-"
    for _ in $(seq 1 120); do [ "$(bridge_total)" = 0 ] && break; sleep 0.5; done
    live_heap "heap-warm-between-$run" > /dev/null; sleep 2
    lg "memory-warm-$run" $ours --transports tcp,mqtt,websocket --devices 19000 --rate 5000 \
      --heartbeat-ms 30000 --hold-s 4 --prefix "w$run-"
    stop
  done
fi
python3 - "$out" <<'EOF'
import glob, json, os, statistics, sys
out = sys.argv[1]
def pick(name, path):
    vals = []
    for f in sorted(glob.glob(f"{out}/{name}-[0-9].json")):
        v = json.load(open(f))
        for k in path.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            vals.append(v)
    return vals
def show(label, vals, unit=""):
    if vals:
        print(f"{label}: {min(vals):,.1f} / {statistics.median(vals):,.1f} / {max(vals):,.1f}{unit}  (min / median / max of {len(vals)})")
for t in ["tcp", "mqtt", "mqtt-mosquitto"]:
    show(f"connect {t}: connects/s", pick(f"connect-{t}", "totals.connectsPerS"), "/s")
    show(f"connect {t}: broker CPU per connect", pick(f"connect-{t}", "broker.cpuUsPerConnect"), " µs")
for b in ["ours", "mosquitto"]:
    show(f"PINGREQ {b}: broker CPU per 1,000", pick(f"ping-{b}", "broker.cpuMsPer1000Pings"), " ms")
    show(f"PINGREQ {b}: PINGREQs/s in the hold", pick(f"ping-{b}", "broker.holdPingsPerS"), "/s")
for t in ["tcp", "websocket"]:
    show(f"heartbeat {t}: broker CPU per 1,000", pick(f"heartbeat-{t}", "broker.cpuMsPer1000Pings"), " ms")
    show(f"heartbeat {t}: pings/s in the hold", pick(f"heartbeat-{t}", "broker.holdPingsPerS"), "/s")
show("memory: RSS per session", pick("memory", "broker.rssPerSessionBytes"), " B")
held = []
for f in sorted(glob.glob(f"{out}/memory-held-[0-9].json")):
    b = json.load(open(f)).get("broker", {})
    if b.get("rssHeldKb") and b.get("rssBeforeKb"):
        held.append((b["rssHeldKb"] - b["rssBeforeKb"]) * 1024 / 19000)
show("memory-held: RSS per session when all have opened", pick("memory-held", "broker.rssPerSessionBytes"), " B")
show("memory-held: RSS per session at the hold's end", held, " B")
show("memory-warm: RSS per session, first storm", pick("memory-first", "broker.rssPerSessionBytes"), " B")
show("memory-warm: RSS per session, second storm", pick("memory-warm", "broker.rssPerSessionBytes"), " B")
live = []
for i in range(1, 10):
    try:
        idle = int(open(f"{out}/heap-idle-{i}.txt").read()); held = int(open(f"{out}/heap-held-{i}.txt").read())
        live.append((held - idle) / 19000)
    except (OSError, ValueError):
        pass
show("memory: live heap per session (jcmd GC.class_histogram, held - idle)", live, " B")
EOF

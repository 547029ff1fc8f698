#!/usr/bin/env bash
# Where a fresh broker's first mass expiry spends its time (issues 16/17, docs/benchmarks.md "Cold JVM"): starts
# a broker through bin/broker with class-load and compilation logging, samples its threads' CPU every 50 ms,
# lets 1,000 TCP devices go silent at once (as bench/mass-close.sh cold does), and prints the CPU per thread group,
# the classes loaded and the methods compiled between the first and the last close (bench/cold-report.py).
#   bench/cold-trace.sh [LABEL]     Env: BROKER_JAVA_OPTS (added to bin/broker's), PORT_BASE (default 11000),
#                                   OUT (default bench/target/cold-trace)
# Build the jars first (mvn -B -q -Dmaven.test.skip=true package -pl broker,bench -am).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
label="${1:-trace}"
base="${PORT_BASE:-11000}"
out="${OUT:-$root/bench/target/cold-trace}/$label"
rm -rf "$out"; mkdir -p "$out"
env BROKER_LIMITS_CONNECTS_PER_SECOND=0 BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS=0 \
  BROKER_TCP_PORT=$base BROKER_UDP_PORT=$((base + 1)) BROKER_MQTT_PORT=$((base - 5117)) \
  BROKER_WEBSOCKET_PORT=$((base + 80)) BROKER_BRIDGE_PORT=$((base + 900)) BROKER_HTTP_PORT=$((base + 70)) \
  BROKER_JAVA_OPTS="${BROKER_JAVA_OPTS:-} -Xlog:class+load:file=$out/classload.log:uptime -XX:+PrintCompilation" \
  bin/broker --conf conf/broker.json > "$out/broker.log" 2>&1 &
pid=$!
sampler=""
stop() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 1 300); do grep -q "ready in" "$out/broker.log" && break; sleep 0.2; done
grep "ready in" "$out/broker.log" || { echo "broker did not start" >&2; exit 1; }
python3 bench/cold-sampler.py "$pid" "$base" "$out/samples.tsv" & sampler=$!
java -cp bench/target/benchmarks.jar io.sessionbroker.bench.load.LoadGen --tcp-port $base --udp-port $((base + 1)) \
  --mqtt-port $((base - 5117)) --ws-port $((base + 80)) --bridge-port $((base + 900)) --transports tcp \
  --devices 1000 --rate 2000 --heartbeat-ms 2000 --hold-s 3 --silent 1 --prefix "$label-$$-" \
  --broker-pid "$pid" --json "$out/loadgen.json" > "$out/loadgen.txt" 2>&1
stop; trap - EXIT
python3 - "$out/loadgen.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["latenessMs"]["tcp"]
print(f"p99 ms: event {r['event']['p99']}, device {r['client']['p99']}")
PY
python3 bench/cold-report.py "$out"

#!/usr/bin/env bash
# Where a PINGREQ's broker CPU goes (issue 17, sixth round): one warm broker through bin/broker, 10,000 MQTT devices at
# keep-alive 2 s (5,000 PINGREQs a second, the load of session-cost.sh's ping test), and over WINDOW_S seconds of the
# hold: the broker's CPU per thread (/proc/PID/task/*/stat) and per PINGREQ (the broker's own
# sessionbroker_heartbeats_total{transport="mqtt"} before and after), and a perf profile of the whole broker with the
# JIT's symbols (jcmd Compiler.perfmap), summed by where the time is spent (kernel, JIT-compiled Java, JVM, native).
# Build the jars first (mvn -B -q -Dmaven.test.skip=true package -pl broker,bench -am).
#   bench/ping-profile.sh [NAME]       results in $OUT/NAME.* (default OUT bench/target/ping-profile, NAME ours)
# Env: OUT, PORT_BASE (as session-cost.sh, default 21000), ROOT (the checkout whose bin/broker runs), WINDOW_S (8),
#      PERF (1: record a profile; 0: only the per-thread CPU, which perf's own cost does not then disturb).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
name="${1:-ours}"
out="${OUT:-$root/bench/target/ping-profile}"
base="${PORT_BASE:-21000}"
window="${WINDOW_S:-8}"
jar="$root/bench/target/benchmarks.jar"
bench_name=ping-profile
mqtt_port=$((base + 883))
mosquitto_port=$((base - 5116))
. "$here/lib.sh"
lg() { java -cp "$jar" io.sessionbroker.bench.load.LoadGen $ours --broker-pid "$pid" "$@"; }
pings() { curl -s "http://127.0.0.1:$((base + 70))/metrics" \
  | awk '/^sessionbroker_heartbeats_total/ && /transport="mqtt"/ {s += $2} END {printf "%d\n", s}'; }
threads() {  # name utime+stime (ticks) per thread
  for t in /proc/"$pid"/task/*; do
    awk '{ c = $0; sub(/^[^(]*\(/, "", c); sub(/\).*$/, "", c); gsub(/ /, "_", c);
           n = split($0, f, ") "); split(f[n], g, " "); print c, g[12] + g[13] }' "$t/stat" 2>/dev/null || true
  done | awk '{ sub(/-?[0-9]+$/, "", $1); s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort
}

start_broker "$name"
log "$name: warm-up (load $(load))"
for w in 1 2; do
  lg --transports tcp,mqtt --devices 10000 --per-process 5000 --rate 0 --max-pending 1000 --heartbeat-ms 30000 \
    --hold-s 0 --prefix "w$w-" > "$out/$name-warmup-$w.txt" 2>&1
done
lg --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 8 --prefix wp- \
  > "$out/$name-warmup-ping.txt" 2>&1
log "$name: profiled run (load $(load))"; load > "$out/$name.load"
lg --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s $((window + 6)) --prefix pp- \
  --json "$out/$name-ping.json" > "$out/$name-ping.txt" 2>&1 &
gen=$!
sleep 5  # the ramp (2 s at 5,000 connects a second) and the first heartbeats
jcmd "$pid" Compiler.perfmap > /dev/null 2>&1 || true
threads > "$out/$name-threads-before.txt"; p0=$(pings); t0=$(date +%s.%N)
if [ "${PERF:-1}" = 1 ]; then
  perf record -F 499 -g -p "$pid" -o "$out/$name.perf.data" -- sleep "$window" > /dev/null 2>&1 || true
else
  sleep "$window"
fi
threads > "$out/$name-threads-after.txt"; p1=$(pings); t1=$(date +%s.%N)
wait "$gen" || true
stop
n=$((p1 - p0))
{
  echo "pingreqs $n over $(echo "$t1 - $t0" | bc) s; load at start $(cat "$out/$name.load")"
  echo "thread: CPU ms in the window, µs per PINGREQ"
  join "$out/$name-threads-before.txt" "$out/$name-threads-after.txt" \
    | awk -v n="$n" '{ d = ($3 - $2) * 10; t += d; if (d > 0) printf "  %-28s %7d ms %7.2f µs\n", $1, d, d * 1000 / n }
                     END { printf "  %-28s %7d ms %7.2f µs\n", "all", t, t * 1000 / n }'
} | tee "$out/$name-summary.txt"
if [ "${PERF:-1}" = 1 ] && [ -s "$out/$name.perf.data" ]; then
  perf report -i "$out/$name.perf.data" --no-children --sort dso,sym --stdio 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | grep '%' | head -60 > "$out/$name-top.txt" || true
  perf report -i "$out/$name.perf.data" --no-children --sort dso --stdio 2>/dev/null \
    | grep -v '^#' | grep '%' | head -15 | tee -a "$out/$name-summary.txt" || true
fi

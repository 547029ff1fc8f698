#!/usr/bin/env bash
# Where a PINGREQ's and a connect's broker CPU goes (issue 17, sixth round): one warm broker through bin/broker, then
# per part, the broker's CPU per thread (/proc/PID/task/*/stat) and a perf profile of the whole broker with the JIT's
# symbols (jcmd Compiler.perfmap), summed by where the time is spent (kernel, JIT-compiled Java, JVM, native):
#   ping          10,000 MQTT devices at keep-alive 2 s (5,000 PINGREQs a second, session-cost.sh's ping test),
#                 over WINDOW_S seconds of the hold, ÷ the broker's own sessionbroker_heartbeats_total{transport="mqtt"}
#   connect-mqtt  session-cost.sh's connect test (10,000 devices, two generator processes, 1,000 in flight each), the
#   connect-tcp   whole run — the connects and, as the generator ends, their closes — ÷ 10,000
# Build the jars first (mvn -B -q -Dmaven.test.skip=true package -pl broker,bench -am).
#   bench/cost-profile.sh [NAME] [PARTS]   results in $OUT/NAME-PART.* (default OUT bench/target/cost-profile, NAME
#                                          ours, PARTS ping)
# Env: OUT, PORT_BASE (as session-cost.sh, default 21000), ROOT (the checkout whose bin/broker runs), WINDOW_S (8),
#      PERF (1: record a profile; 0: only the per-thread CPU, which perf's own cost does not then disturb).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
name="${1:-ours}"
parts="${2:-ping}"
out="${OUT:-$root/bench/target/cost-profile}"
base="${PORT_BASE:-21000}"
window="${WINDOW_S:-8}"
jar="$root/bench/target/benchmarks.jar"
bench_name=cost-profile
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
for w in 1 2 3; do
  lg --transports tcp,mqtt --devices 10000 --per-process 5000 --rate 0 --max-pending 1000 --heartbeat-ms 30000 \
    --hold-s 0 --prefix "w$w-" > "$out/$name-warmup-$w.txt" 2>&1
done
for w in 1 2; do
  lg --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 8 --prefix "wp$w-" \
    > "$out/$name-warmup-ping-$w.txt" 2>&1
done
report() {  # report PART COUNT WHAT: the per-thread table and perf's split by DSO
  local part="$1" n="$2"
  {
    echo "$part: $n $3; load at start $(cat "$out/$name-$part.load")"
    echo "thread: CPU ms in the window, µs per one"
    join "$out/$name-$part-threads-before.txt" "$out/$name-$part-threads-after.txt" \
      | awk -v n="$n" '{ d = ($3 - $2) * 10; t += d; if (d > 0) printf "  %-28s %7d ms %7.2f µs\n", $1, d, d * 1000 / n }
                       END { printf "  %-28s %7d ms %7.2f µs\n", "all", t, t * 1000 / n }'
    if [ "${PERF:-1}" = 1 ] && [ -s "$out/$name-$part.perf.data" ]; then
      echo "perf samples by thread, and by DSO on the event loops:"
      perf report -i "$out/$name-$part.perf.data" --no-children --sort comm --stdio -g none 2>/dev/null \
        | grep '%' | head -8
      perf report -i "$out/$name-$part.perf.data" --no-children --comms vert.x-eventloo --sort dso --stdio -g none \
        2>/dev/null | grep '%' | head -6
    fi
  } | tee "$out/$name-$part-summary.txt"
  if [ "${PERF:-1}" = 1 ] && [ -s "$out/$name-$part.perf.data" ]; then
    perf report -i "$out/$name-$part.perf.data" --no-children --sort comm,dso,sym --stdio -g none 2>/dev/null \
      | grep '%' | head -80 > "$out/$name-$part-top.txt" || true
  fi
}
begin() {  # begin PART: snapshot, and perf in the background
  load > "$out/$name-$1.load"; log "$name $1 (load $(load))"
  jcmd "$pid" Compiler.perfmap > /dev/null 2>&1 || true
  threads > "$out/$name-$1-threads-before.txt"
  perfpid=""
  if [ "${PERF:-1}" = 1 ]; then
    perf record -F 499 -g -p "$pid" -o "$out/$name-$1.perf.data" > /dev/null 2>&1 &
    perfpid=$!
  fi
}
end() {  # end PART
  if [ -n "$perfpid" ]; then kill -INT "$perfpid"; wait "$perfpid" || true; fi
  threads > "$out/$name-$1-threads-after.txt"
}
for part in ${parts//,/ }; do
  case "$part" in
    ping)
      lg --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s $((window + 6)) --prefix pp- \
        --json "$out/$name-ping.json" > "$out/$name-ping.txt" 2>&1 &
      gen=$!
      sleep 5  # the ramp (2 s at 5,000 connects a second) and the first heartbeats
      p0=$(pings); begin ping; sleep "$window"; end ping; p1=$(pings)
      wait "$gen" || true
      report ping $((p1 - p0)) "PINGREQs over ${window} s" ;;
    connect-mqtt|connect-tcp)
      begin "$part"
      lg --transports "${part#connect-}" --devices 10000 --per-process 5000 --rate 0 --max-pending 1000 \
        --heartbeat-ms 30000 --hold-s 0 --prefix "$part-" --json "$out/$name-$part.json" > "$out/$name-$part.txt" 2>&1
      end "$part"
      report "$part" 10000 "connects and their closes" ;;
  esac
done
stop

#!/usr/bin/env bash
# UDP cost and io_uring (issue 17; docs/benchmarks.md, "UDP cost and io_uring"), about 7 minutes on 2 cores:
#   bench/udp-cost.sh OUT [BASE]
# UDP heartbeat CPU (10,000 devices, 2 s heartbeats, 2 warm-ups and 3 measured holds of 10 s per broker) on
# epoll and io_uring, TCP connect CPU on both, the RSS and live heap of 200,000 UDP sessions (30 s heartbeats);
# BASE: a directory with an older broker.jar and benchmarks.jar, measured first the same way (A/B); a broker.json
# there is the base's configuration (an older broker refuses keys it does not know), else conf/broker.json.
# Per-thread CPU (utime, stime in ticks, schedstat ns) before/after 8 s of each hold: OUT/NAME-t{a,b}-RUN.txt.
# The broker runs with the JVM flags bin/broker ships, on --port-offset 3000; build the jars first
# (mvn -Dmaven.test.skip=true package -pl broker,bench -am). PAUSES (heartbeats): udp.readPauseMicros values to
# measure besides the default, e.g. "0 5000" (heartbeats and fast).
# Env: PARTS (default heartbeats,connects,memory; also fast: 33,333 heartbeats/s, below), UDP_SESSIONS (memory: default 200000), PER_PROCESS (memory: devices
# per load-generator process; default one process), HISTO (memory: 0 = no class histogram while held), JOPTS (JVM flags after bin/broker's: -Xmx768m for a million),
# PORT_OFFSET (default 3000), RATE and HOLD_S (memory: hellos per second, default 5000; hold, default 60 s), LG_JOPTS (the load
# generator's JVM flags, e.g. -Xmx3g for a million devices in one process).
set -u
out=$1; mkdir -p "$out"; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base=${2:-}; new=$out/jars; mkdir -p "$new"
cp "$root/broker/target/broker.jar" "$root/bench/target/benchmarks.jar" "$new/"
# the memory and JIT flags bin/broker ships, read from it (as bench/run-suite.sh does); JOPTS are added after them
broker_flags="$("$root/bench/broker-flags.sh")"
pid=""
offset=${PORT_OFFSET:-3000}
start() { # start NAME JARDIR [ENV...]
  local name=$1 dir=$2; shift 2
  local conf="$root/conf/broker.json"; [ -f $dir/broker.json ] && conf=$dir/broker.json
  env BROKER_LIMITS_CONNECTS_PER_SECOND=0 BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS=0 "$@" \
    java $broker_flags ${JOPTS:-} -Dbroker.conf="$conf" -jar $dir/broker.jar --port-offset $offset > $out/$name.log 2>&1 &
  pid=$!
  for i in $(seq 1 150); do grep -q "ready in" $out/$name.log && break; sleep 0.2; done
}
stop() { kill $pid; wait $pid; sleep 1; }
threads() { for t in /proc/$pid/task/*; do echo "$(tr ' ' _ < $t/comm) $(cut -d' ' -f14,15 $t/stat) $(cut -d' ' -f1 $t/schedstat)"; done | awk '{u[$1]+=$2; s[$1]+=$3; n[$1]+=$4} END {for (k in n) print k, u[k], s[k], n[k]}' | sort; }
lg() { local dir=$1; shift; java ${LG_JOPTS:-} -cp $dir/benchmarks.jar io.sessionbroker.bench.load.LoadGen --tcp-port $((7000 + offset)) --udp-port $((7001 + offset)) --mqtt-port $((1883 + offset)) --ws-port $((7080 + offset)) --bridge-port $((7900 + offset)) --broker-pid $pid "$@"; }
heartbeats() { # heartbeats NAME JARDIR [ENV...]
  local name=$1 dir=$2; shift 2
  start $name $dir "$@"
  for w in 1 2; do lg $dir --transports udp --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 --prefix w$w- > $out/$name-warm$w.txt 2>&1; done
  for r in 1 2 3; do
    echo "$(cut -d' ' -f1-3 /proc/loadavg)" > $out/$name-$r.load
    ( sleep 4; threads > $out/$name-ta-$r.txt; sleep 8; threads > $out/$name-tb-$r.txt ) & sub=$!
    lg $dir --transports udp --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 --prefix m$r- --json $out/$name-$r.json > $out/$name-$r.txt 2>&1
    wait $sub
  done
  stop
}
fast() { # fast NAME JARDIR [ENV...]: a million devices' heartbeat rate (33,333/s) from 100,000 devices at 3 s
  local name=$1 dir=$2; shift 2
  start $name $dir "$@"
  lg $dir --transports udp --devices 100000 --per-process 50000 --rate 10000 --max-pending 1000 --heartbeat-ms 3000 --hold-s 10 --prefix fw- > $out/$name-warm.txt 2>&1
  for r in 1 2 3; do
    echo "$(cut -d' ' -f1-3 /proc/loadavg)" > $out/$name-$r.load
    ( sleep 16; threads > $out/$name-ta-$r.txt; sleep 8; threads > $out/$name-tb-$r.txt ) & sub=$!
    lg $dir --transports udp --devices 100000 --per-process 50000 --rate 10000 --max-pending 1000 --heartbeat-ms 3000 --hold-s 15 --prefix f$r- --json $out/$name-$r.json > $out/$name-$r.txt 2>&1
    wait $sub
  done
  stop
}
connects() { # connects NAME JARDIR [ENV...]
  local name=$1 dir=$2; shift 2
  start $name $dir "$@"
  lg $dir --transports tcp --devices 4000 --rate 4000 --heartbeat-ms 2000 --hold-s 2 --prefix cw- > $out/$name-warm.txt 2>&1
  for r in 1 2 3; do
    echo "$(cut -d' ' -f1-3 /proc/loadavg)" > $out/$name-$r.load
    lg $dir --transports tcp --devices 10000 --per-process 5000 --rate 0 --max-pending 1000 --heartbeat-ms 30000 --hold-s 0 --prefix c$r- --json $out/$name-$r.json > $out/$name-$r.txt 2>&1
  done
  stop
}
memory() { # memory NAME JARDIR SESSIONS HOLD [ENV...]
  local name=$1 dir=$2 n=$3 hold=$4; shift 4
  start $name $dir "$@"
  sleep 2
  jcmd $pid GC.class_histogram | awk '/^Total/ {print $3}' > $out/$name-heap-before.txt
  grep VmRSS /proc/$pid/status > $out/$name-rss-before.txt
  # HISTO=0: no class histogram with the sessions held (its full collection stops the broker: heartbeats lost)
  # held: once the bridge counts all N sessions (or after the planned ramp and half the hold), a quarter of the hold later
  ( for _ in $(seq 1 $(( (n / ${RATE:-5000} + hold / 2) * 2 ))); do
      [ "$(python3 "$root/bench/bridge-count.py" 127.0.0.1 $((7900 + offset)) 2>/dev/null \
        | sed -n 's/.*"total" *: *\([0-9]*\).*/\1/p')" = "$n" ] && break
      sleep 0.5
    done
    sleep $(( hold / 4 )); grep VmRSS /proc/$pid/status > $out/$name-rss-held.txt; jcmd $pid GC.heap_info > $out/$name-heap-info.txt
    if [ "${HISTO:-1}" = 1 ]; then jcmd $pid GC.class_histogram > $out/$name-histo.txt; grep VmRSS /proc/$pid/status > $out/$name-rss-after-histo.txt; fi ) & sub=$!
  echo "$(cut -d' ' -f1-3 /proc/loadavg)" > $out/$name.load
  lg $dir --transports udp --devices $n ${PER_PROCESS:+--per-process $PER_PROCESS} --rate ${RATE:-5000} --max-pending 1000 --heartbeat-ms 30000 --hold-s $hold --silent 0.001 --prefix u- --json $out/$name.json > $out/$name.txt 2>&1
  wait $sub
  stop
}
parts=${PARTS:-heartbeats,connects,memory}
want() { [[ ",$parts," == *",$1,"* ]]; }
if want heartbeats; then
  [ -n "$base" ] && heartbeats hb-base "$base"
  heartbeats hb-epoll $new
  [ -n "${PAUSES:-}" ] && for p in $PAUSES; do heartbeats hb-pause$p $new BROKER_UDP_READ_PAUSE_MICROS=$p; done
  heartbeats hb-uring $new BROKER_NODE_IO_TRANSPORT=io_uring
fi
if want fast; then
  [ -n "$base" ] && fast fast-base "$base"
  fast fast-epoll $new
  [ -n "${PAUSES:-}" ] && for p in $PAUSES; do fast fast-pause$p $new BROKER_UDP_READ_PAUSE_MICROS=$p; done
fi
if want connects; then
  connects conn-epoll $new
  connects conn-uring $new BROKER_NODE_IO_TRANSPORT=io_uring
fi
want memory && memory mem${UDP_SESSIONS:-200000} $new ${UDP_SESSIONS:-200000} ${HOLD_S:-60}

#!/usr/bin/env bash
# Command round trips (issue 18): N devices per transport hold sessions; the load generator's command mode sends
# commands to them through the TCP event bus bridge and reports round-trip p50/p99/max and throughput.
#   bench/commands.sh [standalone|cluster|all]     (default all)
#   standalone: one broker, devices and commands on it;
#   cluster:    three `bin/broker --cluster` nodes (A, B, C); devices on C, commands sent to A's bridge, so every
#               command crosses A -> C (directory lookup, the holder's address) and its answer C -> A.
# Env: DEVICES (10000), LOADS ("100:20000 1:2000": commands in flight : commands, one run each), TRANSPORTS
#      ("tcp mqtt websocket udp"), RUNS (1), OUT (bench/target/commands). Every broker first gets a discarded
#      warm-up run (JIT). Run it on a quiet machine; it prints the load average before each run.
# Ports: standalone broker at offset 23000 (tcp 30000, bridge 30900, ...), the cluster at 23000/23100/23200 with its
# own cluster name, so it meets no other broker on this machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-all}"
devices="${DEVICES:-10000}"
loads="${LOADS:-100:20000 1:2000}"
transports="${TRANSPORTS:-tcp mqtt websocket udp}"
runs="${RUNS:-1}"
out="${OUT:-$root/bench/target/commands}"
jar="$root/bench/target/benchmarks.jar"
mkdir -p "$out"
log() { echo "commands: $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
[ -f "$jar" ] || { log "build first: mvn -B -q package -pl bench -am -DskipTests"; exit 1; }

pids=()
start_node() {  # start_node NAME OFFSET [--cluster]
  local name="$1" offset="$2"; shift 2
  # thousands of devices connect from 127.0.0.1: the connect limits would pace the ramp
  env BROKER_LIMITS_CONNECTS_PER_SECOND=0 BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS=0 \
    BROKER_CLUSTER_NAME="commands-bench" bin/broker "$@" --port-offset "$offset" --conf conf/broker.json \
    > "$out/broker-$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 600); do
    grep -q "ready in" "$out/broker-$name.log" && return 0
    kill -0 "$!" 2>/dev/null || { log "broker $name did not start: $(tail -1 "$out/broker-$name.log")"; exit 1; }
    sleep 0.2
  done
  log "broker $name did not start in 120 s"; exit 1
}
stop_nodes() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_nodes EXIT

port() {  # port TRANSPORT OFFSET
  case "$1" in tcp) echo $((7000 + $2));; udp) echo $((7001 + $2));; mqtt) echo $((1883 + $2));;
    websocket) echo $((7080 + $2));; bridge) echo $((7900 + $2));; esac
}

measure() {  # measure NAME DEVICE_OFFSET COMMAND_OFFSET TRANSPORT CONCURRENCY COMMANDS [DEVICES]
  local name="$1" dev="$2" cmd="$3" t="$4" concurrency="$5" commands="$6" devices="${7:-$devices}"
  local args=(--tcp-port "$(port tcp "$dev")" --udp-port "$(port udp "$dev")" --mqtt-port "$(port mqtt "$dev")"
    --ws-port "$(port websocket "$dev")" --bridge-port "$(port bridge "$dev")" --command-port "$(port bridge "$cmd")"
    --transports "$t" --devices "$devices" --rate 2000 --heartbeat-ms 30000 --hold-s 0
    --commands "$commands" --command-concurrency "$concurrency" --prefix "$name-" --json "$out/$name.json")
  echo "java -cp bench/target/benchmarks.jar io.sessionbroker.bench.load.LoadGen ${args[*]}" > "$out/$name.cmd"
  log "$name (load $(load))"
  echo "load before: $(load)" > "$out/$name.txt"
  java -Xmx1g -cp "$jar" io.sessionbroker.bench.load.LoadGen "${args[@]}" >> "$out/$name.txt" 2>&1 \
    || log "$name failed (see $out/$name.txt)"
  grep -A1 "^commands:" "$out/$name.txt" | tail -2 >&2 || true
}

if [ "$mode" = standalone ] || [ "$mode" = all ]; then
  start_node standalone 23000
  measure standalone-warmup 23000 23000 tcp 100 10000 1000
  for run in $(seq 1 "$runs"); do
    for t in $transports; do
      for l in $loads; do measure "standalone-$t-c${l%%:*}-$run" 23000 23000 "$t" "${l%%:*}" "${l##*:}"; done
    done
  done
  stop_nodes
fi

if [ "$mode" = cluster ] || [ "$mode" = all ]; then
  start_node a 23000 --cluster
  start_node b 23100 --cluster
  start_node c 23200 --cluster
  sleep 5  # the members have met once every node is ready (quorum 2); the directory is shared from then on
  measure cluster-warmup 23200 23000 tcp 100 10000 1000
  for run in $(seq 1 "$runs"); do
    for t in $transports; do
      for l in $loads; do measure "cluster-$t-c${l%%:*}-$run" 23200 23000 "$t" "${l%%:*}" "${l##*:}"; done
    done
  done
  stop_nodes
fi

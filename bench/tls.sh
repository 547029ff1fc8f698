#!/usr/bin/env bash
# TLS figures (issue 15): our broker and Mosquitto in the same run, plain text against TLS.
#   bench/tls.sh [RUNS]     RUNS (default 3) repetitions; about 6 minutes each on 2 cores
# Env: OUT (raw results, default bench/target/tls); BENCH_LOCK=FILE runs every load test under `flock FILE`
#      (when another benchmark shares the machine); UNTIL=TIME (e.g. 04:45) starts no run after TIME;
#      PARTS (default "ours-mem ours mosquitto-mem mosquitto"): which blocks to run; TLS_DEVICES (3000).
# TLS connects go 50 handshakes in flight per process: with 1,000 (as the plain tests) the handshakes of the
# whole batch share the CPU, none completes within the broker's 10 s handshake timeout and the run collapses.
# Measures, with the load generator's own report (bench/README.md; broker CPU and RSS from /proc by BrokerSampler):
#   connect-*   10,000 devices as fast as two load-generator processes go (--rate 0): sessions/s, broker CPU µs
#               per connect; MQTT for both brokers, raw TCP ours only (Mosquitto has none). TLS = a full
#               handshake per device (ECDHE, EC P-256 certificate; no session resumption) then the opening.
#   mem-*       10,000 MQTT sessions held 10 s on a FRESH broker: RSS growth per session.
#   ping-*      10,000 MQTT sessions with a 2 s keep-alive held 10 s on a warm broker: CPU per 1,000 PINGREQ.
# The certificate is made here with openssl (EC P-256, as docs/security.md does), never committed.
# Our broker: plain 17000 (tcp) / 11883 (mqtt), TLS 17443 / 18883; Mosquitto: plain 11884, TLS 18884; 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
out="${OUT:-$root/bench/target/tls}"
jar="$root/bench/target/benchmarks.jar"
mkdir -p "$out"  # kept: PARTS may add to an earlier run
log() { echo "tls: $*" >&2; }
[ -f "$jar" ] || { log "build the load generator first: mvn -B -q package -pl bench -am -DskipTests"; exit 1; }

certs="$(mktemp -d)"
trap 'rm -rf "$certs"' EXIT
(
  cd "$certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=bench CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
    -subj "/CN=localhost"
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile <(printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
) > "$out/openssl.log" 2>&1
{
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "jvm: $(java -version 2>&1 | sed -n 2p)"
  echo "mosquitto: $(mosquitto -h 2>&1 | head -1); $(openssl version)"
} > "$out/machine.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

broker_pid=""
start_broker() {  # start_broker NAME: our broker with plain and TLS ports for tcp and mqtt
  local name="$1"
  # the load generator connects thousands of devices from 127.0.0.1: the connect limits would pace it
  env BROKER_LIMITS_CONNECTS_PER_SECOND=0 BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS=0 \
    BROKER_TLS_CERT_FILE="$certs/server.pem" BROKER_TLS_KEY_FILE="$certs/server.key" \
    BROKER_TCP_PORT=17000 BROKER_TCP_TLS_PORT=17443 BROKER_MQTT_PORT=11883 BROKER_MQTT_TLS_PORT=18883 \
    BROKER_UDP_PORT=17001 BROKER_WEBSOCKET_PORT=17080 BROKER_WEBSOCKET_TLS_PORT=-1 BROKER_BRIDGE_PORT=17900 \
    BROKER_BRIDGE_TLS_PORT=-1 BROKER_HTTP_PORT=17070 BROKER_HTTP_TLS_PORT=-1 \
    bin/broker --conf conf/broker.json > "$out/broker-$name.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 300); do
    grep -q "ready in" "$out/broker-$name.log" && return 0
    kill -0 "$broker_pid" 2>/dev/null || { log "broker $name did not start; see $out/broker-$name.log"; exit 1; }
    sleep 0.2
  done
  log "broker $name did not start; see $out/broker-$name.log"; exit 1
}
start_mosquitto() {
  # mosquitto 2: cafile/certfile/keyfile belong to the listener above them
  printf '%s\n' "listener 11884 127.0.0.1" "listener 18884 127.0.0.1" "cafile $certs/ca.pem" \
    "certfile $certs/server.pem" "keyfile $certs/server.key" "allow_anonymous true" "persistence false" \
    "max_connections -1" "log_dest stderr" "log_type error" "user root" > "$out/mosquitto.conf"
  mosquitto -c "$out/mosquitto.conf" > "$out/mosquitto-$1.log" 2>&1 &
  broker_pid=$!
  sleep 1
}
stop_broker() {
  kill -TERM "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  sleep 1
}
# loadgen NAME ARGS...: one load test against the broker in $broker_pid; JSON in $out/NAME.json
loadgen() {
  local name="$1"; shift
  echo "java -cp bench/target/benchmarks.jar io.sessionbroker.bench.load.LoadGen $* --broker-pid PID" \
    | sed "s|$certs|CERTS|g" > "$out/$name.cmd"
  local lock=(); [ -n "${BENCH_LOCK:-}" ] && lock=(flock "$BENCH_LOCK")
  "${lock[@]}" bash -c 'cut -d" " -f1-3 /proc/loadavg > "$0"; exec "$@"' "$out/$name.load" \
    java -cp "$jar" io.sessionbroker.bench.load.LoadGen "$@" --bridge-port 0 --broker-pid "$broker_pid" \
    --progress-s 10 --json "$out/$name.json" > "$out/$name.txt" 2>> "$out/progress.log" \
    || log "$name failed (see $out/$name.txt)"
  log "$name (load $(cat "$out/$name.load")): $(grep -m1 '^connect:' "$out/$name.txt" || true)"
  sleep 2
}
ca="--tls-ca $certs/ca.pem"
connect="--devices 10000 --per-process 5000 --rate 0 --max-pending 1000 --heartbeat-ms 30000 --hold-s 0"
mem="--transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 30000 --hold-s 10"
ping="--transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10"
tls_devices="${TLS_DEVICES:-3000}"
tls_connect="--devices $tls_devices --per-process 5000 --rate 0 --max-pending 50 --heartbeat-ms 30000 --hold-s 0"
tls_ping="--transports mqtt --devices $tls_devices --rate 0 --max-pending 50 --heartbeat-ms 2000 --hold-s 10"
parts=" ${PARTS:-ours-mem ours mosquitto-mem mosquitto} "
part() { [[ "$parts" == *" $1 "* ]]; }

for run in $(seq 1 "$runs"); do
  if [ -n "${UNTIL:-}" ] && [ "$(date +%s)" -ge "$(date -d "$UNTIL" +%s)" ]; then
    log "it is past $UNTIL: no run $run"; break
  fi
  if part ours-mem; then  # memory from a fresh broker each (a warm-up would grow the heap first)
    start_broker "mem-plain-$run"
    loadgen "mem-ours-plain-$run" $mem --mqtt-port 11883 --prefix "m$run-"
    stop_broker
    start_broker "mem-tls-$run"
    loadgen "mem-ours-tls-$run" $mem --mqtt-port 18883 $ca --prefix "m$run-"
    stop_broker
  fi
  if part ours; then
    start_broker "main-$run"
    # JIT warm-up, discarded: both transports, plain and TLS, heartbeats
    loadgen "warmup-$run" --transports tcp,mqtt --devices 4000 --rate 4000 --heartbeat-ms 2000 --hold-s 3 \
      --tcp-port 17000 --mqtt-port 11883 --prefix "w$run-"
    loadgen "warmup-tls-$run" --transports tcp,mqtt --devices 1000 --rate 0 --max-pending 50 --heartbeat-ms 2000 \
      --hold-s 3 --tcp-port 17443 --mqtt-port 18883 $ca --prefix "w$run-"
    loadgen "connect-ours-tcp-plain-$run" --transports tcp --tcp-port 17000 $connect --prefix "c$run-"
    loadgen "connect-ours-tcp-tls-$run" --transports tcp --tcp-port 17443 $tls_connect $ca --prefix "c$run-"
    loadgen "connect-ours-mqtt-plain-$run" --transports mqtt --mqtt-port 11883 $connect --prefix "c$run-"
    loadgen "connect-ours-mqtt-tls-$run" --transports mqtt --mqtt-port 18883 $tls_connect $ca --prefix "c$run-"
    loadgen "ping-ours-plain-$run" $ping --mqtt-port 11883 --prefix "p$run-"
    loadgen "ping-ours-tls-$run" $tls_ping --mqtt-port 18883 $ca --prefix "p$run-"
    stop_broker
  fi
  if part mosquitto-mem; then
    start_mosquitto "mem-plain-$run"
    loadgen "mem-mosquitto-plain-$run" $mem --mqtt-port 11884 --prefix "m$run-"
    stop_broker
    start_mosquitto "mem-tls-$run"
    loadgen "mem-mosquitto-tls-$run" $mem --mqtt-port 18884 $ca --prefix "m$run-"
    stop_broker
  fi
  if part mosquitto; then
    start_mosquitto "main-$run"
    loadgen "connect-mosquitto-mqtt-plain-$run" --transports mqtt --mqtt-port 11884 $connect --prefix "c$run-"
    loadgen "connect-mosquitto-mqtt-tls-$run" --transports mqtt --mqtt-port 18884 $tls_connect $ca --prefix "c$run-"
    loadgen "ping-mosquitto-plain-$run" $ping --mqtt-port 11884 --prefix "p$run-"
    loadgen "ping-mosquitto-tls-$run" $tls_ping --mqtt-port 18884 $ca --prefix "p$run-"
    stop_broker
  fi
done
python3 "$root/bench/tls-report.py" "$out" | tee "$out/summary.md"

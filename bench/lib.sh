# Shared by the load-generator scripts (mass-close.sh, session-cost.sh): the broker and Mosquitto they start,
# how they log, and which parts run. Source it after setting:
#   bench_name (the log prefix), parts (the PARTS argument), out (results dir), base (PORT_BASE),
#   mqtt_port (our MQTT port), mosquitto_port.
# Every broker is started through bin/broker (the JVM flags it ships) with the connect limits lifted: the load
# generator is one address (docs/configuration.md, limits).
# BENCH_BROKER_CPUS / BENCH_LG_CPUS (e.g. 0 and 1): pin the broker / the load generator to those CPUs (taskset -c), to see what
# sharing the cores costs; unset: both run on every core, as the figures of docs/benchmarks.md do unless they say.
# JAVA_HOME: the broker's JDK (bin/broker takes it); the load generator runs on the java of the PATH either way.
mkdir -p "$out"
log() { echo "$bench_name: $(date -u +%T) $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
want() { [[ ",$parts," == *",$1,"* ]]; }

pid=""
start_broker() {  # start_broker RUN: a fresh broker through bin/broker, connect limits off; log in $out/broker-RUN.log
  env BROKER_LIMITS_CONNECTS_PER_SECOND=0 BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS=0 \
    BROKER_TCP_PORT=$base BROKER_UDP_PORT=$((base + 1)) BROKER_MQTT_PORT=$mqtt_port \
    BROKER_WEBSOCKET_PORT=$((base + 80)) BROKER_BRIDGE_PORT=$((base + 900)) BROKER_HTTP_PORT=$((base + 70)) \
    ${BENCH_BROKER_CPUS:+taskset -c "$BENCH_BROKER_CPUS"} bin/broker --conf conf/broker.json > "$out/broker-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q "ready in" "$out/broker-$1.log" && return 0; sleep 0.2; done
  log "broker $1 did not start"; exit 1
}
start_mosquitto() {
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\nlog_dest stderr\nlog_type error\nuser root\n' \
    "$mosquitto_port" > "$out/mosquitto.conf"
  mosquitto -c "$out/mosquitto.conf" > "$out/mosquitto.log" 2>&1 &
  pid=$!
  sleep 1
}
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; sleep 1; }
trap stop EXIT
# Our ports as the load generator's arguments.
ours="--tcp-port $base --udp-port $((base + 1)) --mqtt-port $mqtt_port --ws-port $((base + 80)) --bridge-port $((base + 900))"

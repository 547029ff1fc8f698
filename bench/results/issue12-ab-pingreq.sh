#!/usr/bin/env bash
# A/B: broker CPU per 1,000 PINGREQs, old (4a585e5) vs new (4d23036), alternating, warm-up run first each time.
set -u
out=/work/wt/ab; jar=/work/wt/bench/bench/target/benchmarks.jar
for run in 1 2 3; do
  for v in old new; do
    dir=/work/wt/$v; [ $v = new ] && dir=/work/wt/bench
    cd $dir
    env BROKER_TCP_PORT=17000 BROKER_UDP_PORT=17001 BROKER_MQTT_PORT=11883 BROKER_WEBSOCKET_PORT=17080 BROKER_BRIDGE_PORT=17900 BROKER_HTTP_PORT=17070 \
      java -Xmx1g -jar broker/target/broker.jar --conf conf/broker.json > $out/pbroker-$v-$run.log 2>&1 &
    pid=$!
    for i in $(seq 1 150); do grep -q "ready in" $out/pbroker-$v-$run.log && break; sleep 0.2; done
    for phase in warm meas; do
      java -cp $jar io.sessionbroker.bench.load.LoadGen --tcp-port 17000 --udp-port 17001 --mqtt-port 11883 --ws-port 17080 --bridge-port 17900 \
        --transports mqtt --devices 10000 --rate 5000 --heartbeat-ms 2000 --hold-s 10 --silent 0.1 --grace-ms 6000 --prefix "p$phase$v$run-" \
        --broker-pid $pid --json $out/ping-$phase-$v-$run.json > $out/ping-$phase-$v-$run.txt 2>&1
      sleep 2
    done
    kill -TERM $pid; wait $pid; sleep 2
    echo "$v run $run load $(cut -d' ' -f1 /proc/loadavg): $(python3 -c "
import json;d=json.load(open('$out/ping-meas-$v-$run.json'));b=d['broker'];print({k:v for k,v in b.items() if 'ing' in k.lower() or 'cpu' in k.lower()})" 2>&1 | cut -c1-300)"
  done
done

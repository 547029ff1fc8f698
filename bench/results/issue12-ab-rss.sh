#!/usr/bin/env bash
# A/B: broker RSS per session, 19,000 mixed, old (4a585e5, before issue 12) vs new (HEAD), alternating.
set -u
out=/work/wt/ab; jar=/work/wt/bench/bench/target/benchmarks.jar
for run in 1 2 3; do
  for v in old new; do
    dir=/work/wt/$v; [ $v = new ] && dir=/work/wt/bench
    cd $dir
    env BROKER_TCP_PORT=17000 BROKER_UDP_PORT=17001 BROKER_MQTT_PORT=11883 BROKER_WEBSOCKET_PORT=17080 BROKER_BRIDGE_PORT=17900 \
      java -Xmx1g -jar broker/target/broker.jar --conf conf/broker.json > $out/broker-$v-$run.log 2>&1 &
    pid=$!
    for i in $(seq 1 150); do grep -q "ready in" $out/broker-$v-$run.log && break; sleep 0.2; done
    java -cp $jar io.sessionbroker.bench.load.LoadGen --tcp-port 17000 --udp-port 17001 --mqtt-port 11883 --ws-port 17080 --bridge-port 17900 \
      --transports tcp,mqtt,websocket --devices 19000 --rate 5000 --heartbeat-ms 30000 --hold-s 5 --prefix "ab$v$run-" \
      --broker-pid $pid --json $out/mixed-$v-$run.json > $out/mixed-$v-$run.txt 2>&1
    kill -TERM $pid; wait $pid; sleep 2
    echo "$v run $run: $(python3 -c "import json;d=json.load(open('$out/mixed-$v-$run.json'));print(d['broker']['rssPerSessionBytes'], d.get('sessionsHeld', ''))" 2>&1)"
  done
done

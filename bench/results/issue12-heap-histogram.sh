#!/usr/bin/env bash
set -u
out=/work/wt/ab; jar=/work/wt/bench/bench/target/benchmarks.jar
for v in old new; do
  dir=/work/wt/$v; [ $v = new ] && dir=/work/wt/bench
  cd $dir
  env BROKER_TCP_PORT=17000 BROKER_UDP_PORT=17001 BROKER_MQTT_PORT=11883 BROKER_WEBSOCKET_PORT=17080 BROKER_BRIDGE_PORT=17900 \
    java -Xmx1g -jar broker/target/broker.jar --conf conf/broker.json > $out/hbroker-$v.log 2>&1 &
  pid=$!
  for i in $(seq 1 150); do grep -q "ready in" $out/hbroker-$v.log && break; sleep 0.2; done
  jcmd $pid GC.class_histogram > $out/histo-$v-idle.txt
  java -cp $jar io.sessionbroker.bench.load.LoadGen --tcp-port 17000 --udp-port 17001 --mqtt-port 11883 --ws-port 17080 --bridge-port 17900 \
    --transports tcp,mqtt,websocket --devices 19000 --rate 5000 --heartbeat-ms 30000 --hold-s 25 --prefix "h$v-" \
    --broker-pid $pid > $out/hload-$v.txt 2>&1 &
  lg=$!
  sleep 14
  jcmd $pid GC.class_histogram > $out/histo-$v-held.txt
  wait $lg
  kill -TERM $pid; wait $pid; sleep 2
  echo "$v idle $(tail -1 $out/histo-$v-idle.txt) held $(tail -1 $out/histo-$v-held.txt)"
done

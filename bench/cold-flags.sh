#!/usr/bin/env bash
# JVM-level remedies for a cold broker (docs/benchmarks.md, "Cold JVM (issues 16 and 17, fourth round)"): the
# first mass expiry of bench/mass-close.sh (cold part: a fresh broker per run) under each variant of JVM flags,
# RUNS runs each, and how long each broker took to be ready. Build the jars first.
#   bench/cold-flags.sh [RUNS] [VARIANTS]   VARIANTS: any of base,warmup,warmup1000,cds,c1,scale (default all)
# Env: TRANSPORTS (default tcp), PORT_BASE (default 11000), OUT (default bench/target/cold-flags).
#   base   bin/broker as shipped, without the start-up rehearsal (node.warmupCloses=0); so are the flag variants
#   warmup bin/broker as shipped, with its rehearsal of node.warmupCloses (2000) expiries; warmup1000: 1000
#   cds    an AppCDS archive of the classes a broker loaded through a mass expiry (-XX:ArchiveClassesAtExit in a
#          first run, not measured; then -XX:SharedArchiveFile)
#   c1     -XX:TieredStopAtLevel=1: C1 only (compiles sooner and cheaper, never to C2's speed)
#   scale  -XX:CompileThresholdScaling=0.1: every tier's thresholds ten times lower (compiled while the devices
#          connect, before the expiry)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
variants="${2:-base,warmup,warmup1000,cds,c1,scale}"
out="${OUT:-$root/bench/target/cold-flags}"
export TRANSPORTS="${TRANSPORTS:-tcp}" PORT_BASE="${PORT_BASE:-11000}"
mkdir -p "$out"
archive="$out/broker.jsa"
for v in ${variants//,/ }; do
  export BROKER_NODE_WARMUP_CLOSES=0
  case "$v" in
    base) opts="" ;;
    warmup) opts=""; unset BROKER_NODE_WARMUP_CLOSES ;;
    warmup1000) opts=""; export BROKER_NODE_WARMUP_CLOSES=1000 ;;
    cds)
      rm -f "$archive"
      OUT="$out/cds-dump" BROKER_JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive" bench/mass-close.sh 1 cold > /dev/null
      ls -l "$archive" >&2
      opts="-XX:SharedArchiveFile=$archive" ;;
    c1) opts="-XX:TieredStopAtLevel=1" ;;
    scale) opts="-XX:CompileThresholdScaling=0.1" ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  echo "== $v: $opts (load $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -rf "$out/$v"
  OUT="$out/$v" BROKER_JAVA_OPTS="$opts" bench/mass-close.sh "$runs" cold | grep -v "^min"
  echo "ready in ms: $(grep -ho 'ready in [0-9]*' "$out/$v"/broker-*.log | awk '{print $3}' | tr '\n' ' ')"
  echo "warm-up: $(grep -ho 'warmup_done.*' "$out/$v"/broker-*.log | tr '\n' ' ')"
done

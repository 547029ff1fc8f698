#!/usr/bin/env bash
# Prints the JVM flags bin/broker ships (its heap_opts and jit_opts arrays, as written there) on one line, for the
# scripts that start broker.jar without bin/broker (bench/udp-cost.sh) or record the flags (bench/run-suite.sh).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
awk '/^(heap|jit)_opts=\(/,/\)$/' "$root/bin/broker" | tr -s ' \n' ' ' | sed -E 's/(heap|jit)_opts=\(//g; s/\) */ /g; s/ *$//'
echo

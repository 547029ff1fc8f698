#!/usr/bin/env python3
"""Samples a JVM for bench/cold-trace.sh: every 50 ms, the JVM's age (s, from /proc), the CPU (ms) of each of
its threads and how many ESTABLISHED TCP connections its listener PORT holds (0 when PORT is 0).
Usage: cold-sampler.py PID PORT OUT.tsv   (runs until PID ends or it is killed)"""
import os
import sys
import time

pid, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tick = os.sysconf("SC_CLK_TCK")
start = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19]) / tick


def threads():
    cpu = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            raw = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        f = raw.rsplit(")", 1)[1].split()
        cpu[f"{tid}:{name}"] = (int(f[11]) + int(f[12])) * 1000 // tick
    return cpu


def established():
    if port == 0:
        return 0
    hexport = f":{port:04X} "
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in open(path):
                f = line.split()
                if len(f) > 3 and f[3] == "01" and (f[1] + " ").endswith(hexport):
                    n += 1
        except OSError:
            pass
    return n


with open(out, "w") as o:
    while os.path.exists(f"/proc/{pid}"):
        try:
            age = float(open("/proc/uptime").read().split()[0]) - start
            cpu = threads()
            conns = established()
        except (OSError, ValueError, IndexError):
            break
        o.write(f"{age:.3f}\t{conns}\t" + "\t".join(f"{k}={v}" for k, v in cpu.items()) + "\n")
        o.flush()
        time.sleep(0.05)

#!/usr/bin/env python3
"""Who holds the cores during a mass close (issue 17): every 20 ms, each thread's time on CPU (ns, from
/proc/PID/task/TID/schedstat) of the process whose command line matches PATTERN (pgrep -f; the broker, found again
after each restart) and the machine's CPU counters (/proc/stat's first line), stamped with CLOCK_MONOTONIC (the clock
of System.nanoTime and of --closes-file). Runs until the file STOP exists; last line: its own CPU (~8 % of a core for a
broker of ~80 threads). bench/cpu-window.py reads it against the runs' --closes-file.
Usage: cpu-sampler.py PATTERN OUT STOP
  e.g. cpu-sampler.py "$PWD/broker/target/broker.jar" OUT/broker.cpu OUT/stop &   (touch OUT/stop to end it)"""
import os
import subprocess
import sys
import time


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


pattern, out_path, stop = sys.argv[1:4]
out = open(out_path, "w")
while not os.path.exists(stop):
    # java processes only: its own command line (and another sampler's) holds PATTERN too, with a lower PID
    found = [p for p in subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
             if comm(p) == "java"]
    if not found:
        time.sleep(0.2)
        continue
    pid, names = found[0], set()
    out.write(f"# pid {pid}\n")
    while os.path.exists(f"/proc/{pid}") and not os.path.exists(stop):
        now, threads = time.monotonic_ns(), []
        try:
            tids = os.listdir(f"/proc/{pid}/task")
            machine = open("/proc/stat").readline().split()[1:8]
        except OSError:
            break
        for tid in tids:
            try:
                if tid not in names:
                    name = open(f"/proc/{pid}/task/{tid}/comm").read().strip().replace(" ", "_")
                    out.write(f"# tid {tid} {name}\n")
                    names.add(tid)
                threads.append(f"{tid}:{open(f'/proc/{pid}/task/{tid}/schedstat').read().split()[0]}")
            except OSError:
                pass
        out.write(f"{now} {' '.join(machine)} | {' '.join(threads)}\n")
        time.sleep(0.02)
own = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
out.write(f"# sampler cpu ms {(int(own[11]) + int(own[12])) * 1000 // os.sysconf('SC_CLK_TCK')}\n")
out.close()

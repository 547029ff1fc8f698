#!/usr/bin/env python3
"""Puts the suite's report (standard input) into docs/benchmarks.md between the two marker lines below, and keeps
every hand-written section after the end marker as it is: figures measured outside the suite (node loss, TLS,
commands, ...) survive a suite run.

Usage: python3 bench/suite-report.py OUT RUNS | python3 bench/splice-report.py docs/benchmarks.md
"""
import os, sys

BEGIN = "<!-- begin: written by bench/run-suite.sh; edit bench/suite-notes.md instead -->"
END = "<!-- end: written by bench/run-suite.sh; hand-written sections follow -->"

path = sys.argv[1]
report = sys.stdin.read().rstrip() + "\n"
old = open(path).read() if os.path.exists(path) else ""
begin, end = old.find(BEGIN), old.find(END)
if begin >= 0 and end > begin:
    head, tail = old[:begin], old[end + len(END):]
else:  # no markers yet: the whole page was the suite's
    head, tail = "", "\n"
with open(path + ".tmp", "w") as f:
    f.write(head + BEGIN + "\n" + report + END + tail)
os.replace(path + ".tmp", path)

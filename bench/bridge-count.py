#!/usr/bin/env python3
"""Prints the broker's session count (sessions.admin.count over the TCP event bus bridge) as JSON.
Usage: bench/bridge-count.py [HOST] [PORT]   (127.0.0.1 7900)"""
import json, socket, struct, sys

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 7900
s = socket.create_connection((host, port), timeout=30)
body = json.dumps({"type": "send", "address": "sessions.admin.count", "body": {}, "replyAddress": "count"}).encode()
s.sendall(struct.pack(">I", len(body)) + body)


def read(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit("bridge closed")
        data += chunk
    return data


while True:
    frame = json.loads(read(struct.unpack(">I", read(4))[0]))
    if frame.get("address") == "count":
        print(json.dumps(frame.get("body")))
        break

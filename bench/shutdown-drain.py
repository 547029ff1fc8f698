#!/usr/bin/env python3
"""Graceful stop of a clustered node holding N TCP sessions: how long its drain takes and whether every SHUTDOWN
close reaches a subscriber on another node (docs/cluster.md, "Graceful stop"; docs/benchmarks.md, issue 16).

Usage: bench/shutdown-drain.py [--sessions N] [--runs R] [--offset O]

Starts three `bin/broker --cluster` nodes (port offsets O, O+100, O+200; a cluster name of their own), then R times:
opens N TCP sessions on node 2 (hellos pipelined from one thread), subscribes on node 0's bridge, sends node 2
SIGTERM, and prints one line per run: the drain (`shutdown_drained ... in_ms` from node 2's log), SIGTERM to exit,
and how many of node 2's SHUTDOWN closes node 0's subscriber got (and how many twice); then starts node 2 again.
Stops every node it started before it ends. Build broker/target/broker.jar first (bin/broker builds it otherwise).
"""
import argparse, json, os, re, signal, socket, struct, sys, threading, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402  (Node, await_whole: the chaos run's helpers)


class Closes:
    """A subscriber of sessions.opened/closed on a node's bridge, counting per session id."""

    def __init__(self, node):
        self.opened, self.closed, self.lock = set(), {}, threading.Lock()
        self.sock = socket.create_connection((node.host, node.bridge), timeout=10)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        for address in ("sessions.opened", "sessions.closed"):
            data = json.dumps({"type": "register", "address": address}).encode()
            self.sock.sendall(struct.pack(">I", len(data)) + data)
        self.sock.settimeout(None)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        buffer = bytearray()
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return
                buffer += chunk
                at = 0
                while len(buffer) - at >= 4:
                    n = struct.unpack_from(">I", buffer, at)[0]
                    if len(buffer) - at - 4 < n:
                        break
                    frame = json.loads(bytes(buffer[at + 4:at + 4 + n]))
                    at += 4 + n
                    body = frame.get("body") or {}
                    with self.lock:
                        if frame.get("address") == "sessions.opened":
                            self.opened.add(body.get("sessionId"))
                        elif frame.get("address") == "sessions.closed" and body.get("reason") == "SHUTDOWN":
                            sid = body.get("sessionId")
                            self.closed[sid] = self.closed.get(sid, 0) + 1
                del buffer[:at]
        except OSError:
            return

    def close(self):
        self.sock.close()


def wait_for(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def run_once(nodes, sessions, tag):
    closes = Closes(nodes[0])
    devices = []
    try:
        for i in range(sessions):
            s = socket.create_connection(("127.0.0.1", nodes[2].tcp), timeout=30)
            s.sendall((json.dumps({"type": "hello", "device": f"{tag}-{i}", "heartbeat": 300}) + "\n").encode())
            devices.append(s)
        # every session open, as node 0's subscriber saw it
        count = nodes[0].request("sessions.admin.count", {})
        if not wait_for(lambda: nodes[0].request("sessions.admin.count", {})["byNode"].get(nodes[2].node_id, 0)
                        >= sessions, 120):
            raise SystemExit(f"node 2 did not open {sessions} sessions: {count}")
        with closes.lock:
            before = set(closes.closed)
        began = time.time()
        nodes[2].signal(signal.SIGTERM)
        nodes[2].proc.wait(timeout=120)
        stop_s = time.time() - began
        # closes still on their way get 10 s after the exit
        wait_for(lambda: len(closes.closed) - len(before) >= sessions, 10)
        with closes.lock:
            got = {sid: n for sid, n in closes.closed.items() if sid not in before}
        text = open(nodes[2].log, errors="replace").read()
        drained = re.search(r"shutdown_drained sessions=(\d+) events=(\d+) in_ms=(\d+)", text)
        cut = re.search(r"shutdown_drain_\w+ .*", text)
        return {"sessions": sessions, "drain_ms": int(drained.group(3)) if drained else None,
                "warn": cut.group(0) if cut and not drained else None, "stop_s": round(stop_s, 2),
                "closes_on_node0": len(got), "twice": sum(1 for n in got.values() if n > 1)}
    finally:
        for s in devices:
            s.close()
        closes.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--offset", type=int, default=1000)
    ap.add_argument("--dir", default=os.path.join(chaos.ROOT, "bench", "target",
                                                  "shutdown-drain-" + time.strftime("%Y%m%d-%H%M%S")))
    args = ap.parse_args()
    chaos.OFFSETS[:] = [args.offset, args.offset + 100, args.offset + 200]
    os.makedirs(args.dir, exist_ok=True)
    name = "shutdown-drain-" + uuid.uuid4().hex[:8]
    nodes = [chaos.Node(i, name, args.dir) for i in range(3)]
    try:
        for node in nodes:
            node.start()
            node.await_ready()
        chaos.await_whole(nodes)
        for run in range(args.runs):
            result = run_once(nodes, args.sessions, f"sd{run}-{uuid.uuid4().hex[:6]}")
            print("shutdown_drain_run " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
            nodes[2].start()
            nodes[2].await_ready()
            chaos.await_whole(nodes)
    finally:
        for node in nodes:
            if node.proc and node.proc.poll() is None:
                node.signal(signal.SIGTERM)
        for node in nodes:
            if node.proc:
                try:
                    node.proc.wait(timeout=60)
                except Exception:
                    node.proc.kill()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Chaos run against three clustered brokers on this machine (docs/cluster.md, "Chaos run").

Usage: bench/chaos.py [--seed N] [--devices N] [--faults N] [--dir DIR]

Starts three `bin/broker --cluster` nodes (port offsets 20000/20100/20200, a cluster name of their own), connects
N TCP devices spread over them (a device whose connection closes reconnects to a random node), then applies a
seeded random sequence of faults, one at a time, each followed by waiting until the cluster is whole again:
SIGKILL + restart, SIGSTOP for 3-10 s + SIGCONT, graceful restart (SIGTERM + start). Then quiet: it waits until
every device is connected and reads the cluster's whole event log (sessions.admin.events) and session list, and
checks: every session opened once and closed at most once, after its open; every session without a close is
listed, once; no device has two live sessions; no NODE_LOST for a session of a node that was never killed, frozen
or restarted; the cluster has three members. Exit 0 when all hold, 1 with the violations otherwise.
Network partitions are not among the faults yet (they need the namespaces of a test fixture).
"""
import argparse, asyncio, json, os, random, signal, socket, struct, subprocess, sys, threading, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFSETS = [20000, 20100, 20200]


def bridge_request(port, address, body, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        frame = json.dumps({"type": "send", "address": address, "body": body, "replyAddress": "r"}).encode()
        s.sendall(struct.pack(">I", len(frame)) + frame)

        def read(n):
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("bridge closed")
                data += chunk
            return data

        while True:
            reply = json.loads(read(struct.unpack(">I", read(4))[0]))
            if reply.get("address") == "r":
                if reply.get("type") == "err":
                    raise RuntimeError(reply)
                return reply["body"]
    finally:
        s.close()


class Node:
    def __init__(self, index, name, logdir):
        self.index, self.name, self.logdir = index, name, logdir
        self.proc, self.node_id, self.starts = None, None, 0

    @property
    def bridge(self):
        return 7900 + OFFSETS[self.index]

    @property
    def tcp(self):
        return 7000 + OFFSETS[self.index]

    def start(self):
        self.starts += 1
        log = open(os.path.join(self.logdir, f"node{self.index}-{self.starts}.log"), "w")
        env = dict(os.environ, BROKER_CLUSTER_NAME=self.name,
                   BROKER_JAVA_OPTS="-Xmx384m -XX:+UseSerialGC")
        self.proc = subprocess.Popen([os.path.join(ROOT, "bin", "broker"), "--cluster", "--port-offset",
                                      str(OFFSETS[self.index])], stdout=log, stderr=subprocess.STDOUT, env=env)
        self.log = log.name

    def await_ready(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in open(self.log, errors="replace"):
                if " ready in " in line and line.startswith("broker "):
                    self.node_id = line.split()[1]
                    return self.node_id
            if self.proc.poll() is not None:
                sys.exit(f"node {self.index} exited: see {self.log}")
            time.sleep(0.5)
        sys.exit(f"node {self.index} not ready in {timeout} s")

    def signal(self, sig):
        self.proc.send_signal(sig)


class Devices:
    """TCP devices on an asyncio loop in a thread; a closed device reconnects to a random node."""

    def __init__(self, count, ports, seed):
        self.count, self.ports, self.rand = count, ports, random.Random(seed)
        self.live = {}
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        for i in range(count):
            asyncio.run_coroutine_threadsafe(self.device(i), self.loop)

    async def device(self, i):
        port = self.ports[i % len(self.ports)]
        while True:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
                w.write((json.dumps({"type": "hello", "device": f"chaos-{i}", "heartbeat": 30}) + "\n").encode())
                await w.drain()
                welcome = json.loads(await asyncio.wait_for(r.readline(), 30) or b"{}")
                if welcome.get("type") != "welcome":
                    raise ConnectionError(welcome)
                self.live[i] = welcome["session"]
                last = time.time()
                while True:
                    try:
                        line = await asyncio.wait_for(r.readline(), 10)
                    except asyncio.TimeoutError:
                        line = b"\n"
                    if not line:
                        break
                    if time.time() - last > 10:
                        w.write(b'{"type":"ping"}\n')
                        await w.drain()
                        last = time.time()
                w.close()
            except Exception:
                pass
            self.live.pop(i, None)
            await asyncio.sleep(0.5 + self.rand.random())
            port = self.rand.choice(self.ports)


def whole(nodes, members=3):
    for node in nodes:
        try:
            count = bridge_request(node.bridge, "sessions.admin.count", {}, timeout=10)
            if len(count.get("byNode", {})) == members and "unreachable" not in count:
                return count
        except Exception:
            pass
    return None


def await_whole(nodes, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        count = whole(nodes)
        if count:
            return count
        time.sleep(1)
    raise SystemExit("the cluster did not become whole again within %d s" % timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--devices", type=int, default=3000)
    ap.add_argument("--faults", type=int, default=12)
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench", "target", "chaos-" + time.strftime("%Y%m%d-%H%M%S")))
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    rand = random.Random(args.seed)
    name = "chaos-" + uuid.uuid4().hex[:8]
    nodes = [Node(i, name, args.dir) for i in range(3)]
    faulted = set()  # node ids that were killed, frozen or restarted: NODE_LOST is allowed for their sessions
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.await_ready()
        await_whole(nodes)
        devices = Devices(args.devices, [n.tcp for n in nodes], args.seed)
        t0 = time.time()
        while len(devices.live) < args.devices and time.time() - t0 < 300:
            time.sleep(1)
        print(f"chaos seed={args.seed} devices={len(devices.live)} connected", flush=True)
        for k in range(args.faults):
            node = rand.choice(nodes)
            fault = rand.choice(["kill", "freeze", "restart"])
            faulted.add(node.node_id)
            started = time.time()
            if fault == "kill":
                node.signal(signal.SIGKILL)
                node.proc.wait()
                node.start()
                node.await_ready()
            elif fault == "freeze":
                seconds = rand.uniform(3, 10)
                node.signal(signal.SIGSTOP)
                time.sleep(seconds)
                node.signal(signal.SIGCONT)
                fault += " %.1fs" % seconds
            else:
                node.signal(signal.SIGTERM)
                node.proc.wait(timeout=120)
                node.start()
                node.await_ready()
            faulted.add(node.node_id)
            await_whole(nodes)
            print(f"fault {k + 1}/{args.faults}: {fault} node {node.index} -> whole again after "
                  f"{time.time() - started:.1f} s, devices live {len(devices.live)}", flush=True)
        t0 = time.time()
        while len(devices.live) < args.devices and time.time() - t0 < 300:
            time.sleep(1)
        time.sleep(15)  # quiet: withheld closes settle, rechecks after a merge run (10 s)
        return check(nodes, devices, faulted, args.dir)
    finally:
        for node in nodes:
            if node.proc and node.proc.poll() is None:
                node.signal(signal.SIGCONT)
                node.signal(signal.SIGKILL)


def check(nodes, devices, faulted, logdir):
    bridge = nodes[0].bridge
    events, seq = [], 0
    while True:
        page = bridge_request(bridge, "sessions.admin.events", {"fromSeq": seq, "max": 1000})
        if page.get("gap"):
            print("warning: the event log overwrote events; counts start at seq", page.get("oldestSeq"))
        if not page["events"]:
            break
        events += page["events"]
        seq = page["nextSeq"]
    listed, offset = [], 0
    while True:
        page = bridge_request(bridge, "sessions.admin.list", {"offset": offset, "limit": 1000})
        listed += page["sessions"]
        offset += len(page["sessions"])
        if not page["sessions"] or offset >= page["total"]:
            break
    opened, closed, violations = {}, {}, []
    for e in events:
        body, sid = e["body"], e["body"].get("sessionId")
        if e["address"] == "sessions.opened":
            if sid in opened:
                violations.append(f"{sid} opened twice")
            opened[sid] = body
        elif e["address"] == "sessions.closed":
            closed.setdefault(sid, []).append(body)
            if sid not in opened:
                violations.append(f"{sid} closed before (or without) its open: {body}")
            if body.get("reason") == "NODE_LOST" and body.get("node") not in faulted:
                violations.append(f"{sid} NODE_LOST but its node {body.get('node')} was never faulted")
    for sid, closes in closed.items():
        if len(closes) > 1:
            violations.append(f"{sid} closed {len(closes)} times: {[c.get('reason') for c in closes]}")
    live_ids = [s.get("sessionId") for s in listed]
    for sid in opened:
        if sid not in closed and live_ids.count(sid) != 1:
            violations.append(f"{sid} ({opened[sid].get('deviceId')}) has no close and is listed {live_ids.count(sid)} times")
    by_device = {}
    for s in listed:
        by_device.setdefault(s.get("deviceId"), []).append(s.get("sessionId"))
    for device, sids in by_device.items():
        if len(sids) > 1:
            violations.append(f"device {device} has {len(sids)} live sessions")
    if not whole(nodes):
        violations.append("the cluster is not whole at the end")
    reasons = {}
    for closes in closed.values():
        for c in closes:
            reasons[c.get("reason")] = reasons.get(c.get("reason"), 0) + 1
    print(f"events={len(events)} sessions={len(opened)} closes={sum(len(c) for c in closed.values())} "
          f"by reason={reasons} live={len(listed)} violations={len(violations)}")
    with open(os.path.join(logdir, "violations.txt"), "w") as out:
        out.write("\n".join(violations))
    for v in violations[:30]:
        print("  " + v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Chaos run against three clustered brokers on this machine (docs/cluster.md, "Chaos run").

Usage: bench/chaos.py [--seed N] [--devices N] [--faults N | --minutes M] [--partitions] [--dir DIR]

Starts three `bin/broker --cluster` nodes (port offsets 20000/20100/20200, a cluster name of their own), connects
N TCP devices spread over them (a device whose connection closes reconnects to a random node), then applies a
seeded random sequence of faults, one at a time, each followed by waiting until the cluster is whole again,
and each (and the final check) preceded by waiting until every node's GET /ready says partitionsSafe (backups in
sync; a run whose partitions stay unsafe for 180 s fails with that message):
SIGKILL + restart, SIGSTOP for 3-10 s + SIGCONT, graceful restart (SIGTERM + start). Then quiet: it waits until
every device is connected and reads the cluster's whole event log (sessions.admin.events) and session list, and
checks (bench/chaos_contract.py): every session opened once and closed at most once, after its open; every session
without a close is listed, once, and none with a close is listed; no device has two live sessions; no NODE_LOST
for a session of a node that was never killed, frozen or cut off (a graceful restart does not count); the cluster
has three members. Exit 0 when all hold, 1 with the violations otherwise.

--partitions runs each node in a network namespace of its own (root and iproute2 needed), as PartitionIT does:
a cluster link per node on a bridge without an address here (Hazelcast, event bus), and a device link on a second
bridge that has 10.253.S.254 here (devices, admin bridge). Faults then include a partition: the node's cluster link
goes down for 5-20 s while its devices still reach it. Listeners beyond loopback need credentials, so the nodes get
a device secret and an admin token of the run's own.
"""
import argparse, asyncio, base64, hashlib, hmac, json, os, random, signal, socket, struct, subprocess, sys, \
    threading, time, uuid

from chaos_contract import contract, ident  # bench/chaos_contract.py, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFSETS = [20000, 20100, 20200]
SECRET = "chaos-run-device-secret-" + uuid.uuid4().hex
ADMIN_TOKEN = "chaos-run-admin-" + uuid.uuid4().hex


def token(device):
    """DeviceAuth.tokenFor: HMAC-SHA256 of the device id, base64url without padding."""
    digest = hmac.new(SECRET.encode(), device.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sh(*command, check=True):
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: {result.stderr.decode().strip()}")
    return result.returncode


class Namespaces:
    """Three namespaces, a cluster bridge (no address here) and a device bridge (10.253.S.254 here)."""

    def __init__(self, logdir):
        self.prefix = "sbc%d" % (os.getpid() % 100000)
        self.subnet = 200 + os.getpid() % 50
        self.created = []
        if sh("ip", "netns", "add", self.ns(0), check=False) != 0:
            raise SystemExit("cannot create a network namespace (root and iproute2 needed for --partitions)")
        self.created.append(("netns", self.ns(0)))
        for i in (1, 2):
            sh("ip", "netns", "add", self.ns(i))
            self.created.append(("netns", self.ns(i)))
        for kind in ("c", "d"):
            sh("ip", "link", "add", self.prefix + kind + "br", "type", "bridge")
            self.created.append(("link", self.prefix + kind + "br"))
        sh("ip", "addr", "add", f"10.253.{self.subnet}.254/24", "dev", self.prefix + "dbr")
        for kind in ("c", "d"):
            sh("ip", "link", "set", self.prefix + kind + "br", "up")
        for i in range(3):
            self.link(i, "c", "cluster", self.cluster_address(i))
            self.link(i, "d", "devices", self.device_address(i))
            sh("ip", "-n", self.ns(i), "link", "set", "lo", "up")
        shipped = open(os.path.join(ROOT, "conf", "cluster.xml")).read()
        members = "".join(f"<member>{self.cluster_address(i)}:5701</member>" for i in range(3))
        self.cluster_xml = os.path.join(logdir, "cluster.xml")
        with open(self.cluster_xml, "w") as out:
            out.write(shipped.replace("<member>127.0.0.1</member>", members)
                      .replace("<interface>127.0.0.1</interface>", f"<interface>10.252.{self.subnet}.*</interface>"))

    def ns(self, i):
        return f"{self.prefix}n{i}"

    def cluster_address(self, i):
        return f"10.252.{self.subnet}.{i + 1}"

    def device_address(self, i):
        return f"10.253.{self.subnet}.{i + 1}"

    def link(self, i, kind, name, address):
        outside, inside = f"{self.prefix}{kind}{i}", f"{self.prefix}{kind}{i}n"
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        self.created.append(("link", outside))
        sh("ip", "link", "set", inside, "netns", self.ns(i))
        sh("ip", "-n", self.ns(i), "link", "set", inside, "name", name)
        sh("ip", "-n", self.ns(i), "addr", "add", address + "/24", "dev", name)
        sh("ip", "-n", self.ns(i), "link", "set", name, "up")
        sh("ip", "link", "set", outside, "master", self.prefix + kind + "br", "up")

    def cut(self, i):
        sh("ip", "link", "set", f"{self.prefix}c{i}", "down")

    def heal(self, i):
        sh("ip", "link", "set", f"{self.prefix}c{i}", "up")

    def close(self):
        for kind, name in reversed(self.created):
            sh("ip", "netns" if kind == "netns" else "link", "del", name, check=False)


def bridge_request(port, address, body, timeout=30, host="127.0.0.1", admin_token=None):
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        message = {"type": "send", "address": address, "body": body, "replyAddress": "r"}
        if admin_token:
            message["headers"] = {"authorization": "Bearer " + admin_token}
        frame = json.dumps(message).encode()
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
    def __init__(self, index, name, logdir, net=None):
        self.index, self.name, self.logdir, self.net = index, name, logdir, net
        self.proc, self.node_id, self.starts = None, None, 0

    @property
    def host(self):
        return self.net.device_address(self.index) if self.net else "127.0.0.1"

    def request(self, address, body, timeout=30):
        return bridge_request(self.bridge, address, body, timeout, self.host, ADMIN_TOKEN if self.net else None)

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
                   BROKER_JAVA_OPTS="-Xmx512m",  # bin/broker picks the collector
                   # every device connects from one address; thousands reconnect at once after a fault
                   BROKER_LIMITS_CONNECTS_PER_SECOND="0", BROKER_LIMITS_CONNECTS_PER_SECOND_PER_ADDRESS="0")
        wrapper = []
        if self.net:
            wrapper = ["ip", "netns", "exec", self.net.ns(self.index)]
            env.update(BROKER_TCP_HOST=self.host, BROKER_BRIDGE_HOST=self.host,
                       BROKER_CLUSTER_HOST=self.net.cluster_address(self.index),
                       BROKER_CLUSTER_CONFIG_FILE=self.net.cluster_xml, BROKER_AUTH_SECRET=SECRET,
                       BROKER_AUTH_ALLOW_INSECURE="true", BROKER_AUTH_FAILURE_DELAY_MS="0",
                       BROKER_HTTP_ADMIN_TOKEN=ADMIN_TOKEN)
        self.proc = subprocess.Popen(wrapper + [os.path.join(ROOT, "bin", "broker"), "--cluster", "--port-offset",
                                                str(OFFSETS[self.index])],
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
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

    @property
    def http(self):
        return 7070 + OFFSETS[self.index]

    def ready(self):
        """GET /ready on the node's HTTP listener (on the node's own loopback: inside its namespace)."""
        wrapper = ["ip", "netns", "exec", self.net.ns(self.index)] if self.net else []
        result = subprocess.run(wrapper + ["curl", "-s", "-m", "5", f"http://127.0.0.1:{self.http}/ready"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return json.loads(result.stdout) if result.stdout else {}


class Devices:
    """TCP devices on an asyncio loop in a thread; a closed device reconnects to a random node."""

    def __init__(self, count, ports, seed):
        # ports: (host, port) of each node's TCP transport
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
                r, w = await asyncio.wait_for(asyncio.open_connection(*port), 10)
                hello = {"type": "hello", "device": f"chaos-{i}", "heartbeat": 30, "token": token(f"chaos-{i}")}
                w.write((json.dumps(hello) + "\n").encode())
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


class BusRecorder:
    """Records what a node's bridge delivers on sessions.opened and sessions.closed, reconnecting after the node
    restarts, so that the check can tell a close never announced from one announced but missing from the log.
    Frames are kept raw (parsed at the end) so that the reader keeps up with a reconnect storm."""

    def __init__(self, node):
        self.node, self.frames, self.stopped, self.sessions = node, [], False, []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stopped:
            try:
                self.record()
            except Exception:
                pass
            time.sleep(0.2)

    def record(self):
        s = socket.create_connection((self.node.host, self.node.bridge), timeout=5)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
            s.settimeout(None)
            for address in ("sessions.opened", "sessions.closed"):
                frame = {"type": "register", "address": address}
                if self.node.net:
                    frame["headers"] = {"authorization": "Bearer " + ADMIN_TOKEN}
                data = json.dumps(frame).encode()
                s.sendall(struct.pack(">I", len(data)) + data)
            began = time.time()
            buffer = bytearray()
            while not self.stopped:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                buffer += chunk
                at = 0
                while len(buffer) - at >= 4:
                    n = struct.unpack_from(">I", buffer, at)[0]
                    if len(buffer) - at - 4 < n:
                        break
                    self.frames.append(bytes(buffer[at + 4:at + 4 + n]))
                    at += 4 + n
                del buffer[:at]
        finally:
            self.sessions.append((began if "began" in locals() else time.time(), time.time()))
            s.close()

    def events(self):
        out = []
        for raw in self.frames:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame.get("address") in ("sessions.opened", "sessions.closed"):
                out.append((frame["address"], frame["body"]))
        return out


class LogReader:
    """Reads the cluster's event log as it grows, from a node not under a fault (a cut-off node's log is its own
    copy), so that a long run keeps every event although the ring holds only the last 100,000. After each fault it
    reads again from where the fault began: a merge may have changed the log since (events of the other half
    appended, a half's copy replaced), and what the log holds then is what counts."""

    def __init__(self, nodes):
        self.nodes, self.by_seq, self.next, self.avoid, self.gaps = nodes, {}, 0, None, []
        self.lock, self.stopped = threading.Lock(), False
        self.next = nodes[0].request("sessions.admin.events", {"fromSeq": 2 ** 62, "max": 1})["nextSeq"]
        threading.Thread(target=self.run, daemon=True).start()

    @property
    def events(self):
        return [self.by_seq[seq] for seq in sorted(self.by_seq)]

    def run(self):
        while not self.stopped:
            try:
                self.poll()
            except Exception:
                pass
            time.sleep(2)

    def poll(self, since=None):
        with self.lock:
            node = next(n for n in self.nodes if n.index != self.avoid)
            at = self.next if since is None else since
            while True:
                page = node.request("sessions.admin.events", {"fromSeq": at, "max": 1000}, timeout=10)
                if page.get("gap") and since is None:
                    self.gaps.append((at, page.get("oldestSeq")))
                first = max(at, page.get("oldestSeq", at))
                for seq in range(first, page["nextSeq"]):  # a re-read replaces what was read before
                    self.by_seq.pop(seq, None)
                for e in page["events"]:
                    self.by_seq[e["seq"]] = e
                if not page["events"]:
                    return
                at = page["nextSeq"]
                self.next = max(self.next, at)


def whole(nodes, members=3):
    for node in nodes:
        try:
            count = node.request("sessions.admin.count", {}, timeout=10)
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


SAFE_FOR = 1.5  # s: longer than the nodes' check period (ClusterNode.SAFETY_CHECK_MS), so no stale "safe" counts


def await_safe(nodes, timeout=180):
    """Waits until every node's /ready has said partitionsSafe for SAFE_FOR s in a row (backups rebuilt after the
    last fault: the next may come, docs/cluster.md "One fault at a time"); returns the seconds waited."""
    began, since, reports = time.time(), None, []
    while time.time() - began < timeout:
        try:
            reports = [n.ready() for n in nodes]
        except Exception as e:
            reports = [str(e)]
        if all(isinstance(r, dict) and r.get("partitionsSafe") is True for r in reports):
            since = since or time.time()
            if time.time() - since >= SAFE_FOR:
                return time.time() - began
        else:
            since = None
        time.sleep(0.25)
    raise SystemExit(f"the cluster's partitions were not safe (backups in sync) within {timeout} s: "
                     f"/ready said {reports}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--devices", type=int, default=3000)
    ap.add_argument("--faults", type=int, default=12)
    ap.add_argument("--minutes", type=float, default=0, help="apply faults until this long has passed (not --faults)")
    ap.add_argument("--partitions", action="store_true", help="nodes in network namespaces; partitions among the faults")
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench", "target", "chaos-" + time.strftime("%Y%m%d-%H%M%S")))
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    rand = random.Random(args.seed)
    name = "chaos-" + uuid.uuid4().hex[:8]
    net = Namespaces(args.dir) if args.partitions else None
    nodes = [Node(i, name, args.dir, net) for i in range(3)]
    faulted = set()  # node ids that were killed, frozen or cut off: NODE_LOST is allowed for their sessions
    kinds = ["kill", "freeze", "restart"] + (["partition"] if net else [])
    try:
        for node in nodes:  # one after the other: three joining at once hung the start of one (see the report)
            node.start()
            node.await_ready()
        await_whole(nodes)
        reader = LogReader(nodes)
        recorders = [BusRecorder(n) for n in nodes]
        devices = Devices(args.devices, [(n.host, n.tcp) for n in nodes], args.seed)
        t0 = time.time()
        while len(devices.live) < args.devices and time.time() - t0 < 300:
            time.sleep(1)
        print(f"chaos seed={args.seed} devices={len(devices.live)} connected", flush=True)
        print(f"/ready of node 0: {json.dumps(nodes[0].ready())}", flush=True)
        began, k, safe_waits = time.time(), 0, []
        while (time.time() - began < args.minutes * 60) if args.minutes else k < args.faults:
            waited = await_safe(nodes)
            safe_waits.append(waited)
            print(f"{time.strftime('%H:%M:%S')} partitions safe on every node after {waited:.1f} s", flush=True)
            k += 1
            node = rand.choice(nodes)
            fault = rand.choice(kinds)
            if fault != "restart":
                faulted.add(node.node_id)
            started = time.time()
            fault_seq = max(0, reader.next - 1000)
            reader.avoid = node.index
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
            elif fault == "partition":
                seconds = rand.uniform(5, 20)
                net.cut(node.index)
                time.sleep(seconds)
                net.heal(node.index)
                fault += " %.1fs" % seconds
            else:
                node.signal(signal.SIGTERM)
                node.proc.wait(timeout=120)
                if "broker_stop_failed" in open(node.log, errors="replace").read():
                    # the stop overran its bound and the process exited half-way: what it had not
                    # announced is the survivors' to announce NODE_LOST, as for a crash (docs/cluster.md)
                    faulted.add(node.node_id)
                    fault += " (stop overran)"
                node.start()
                node.await_ready()
            await_whole(nodes)
            t1 = time.time()
            while len(devices.live) < args.devices and time.time() - t1 < 120:
                time.sleep(0.5)
            try:
                reader.poll(since=fault_seq)
            except Exception as e:
                print(f"re-reading the log after fault {k} failed: {e}", flush=True)
            print(f"{time.strftime('%H:%M:%S')} fault {k}: {fault} node {node.index} -> whole again after "
                  f"{t1 - started:.1f} s, devices live {len(devices.live)} after {time.time() - started:.1f} s",
                  flush=True)
        t0 = time.time()
        while len(devices.live) < args.devices and time.time() - t0 < 300:
            time.sleep(1)
        time.sleep(15)  # quiet: withheld closes settle, rechecks after a merge run (10 s)
        waited = await_safe(nodes)
        safe_waits.append(waited)
        print(f"{time.strftime('%H:%M:%S')} partitions safe on every node after {waited:.1f} s (final); waits "
              f"min/median/max {min(safe_waits):.1f}/{sorted(safe_waits)[len(safe_waits) // 2]:.1f}/"
              f"{max(safe_waits):.1f} s", flush=True)
        reader.avoid = None
        reader.poll(since=0)  # what the ring still holds (the last 100,000), as it is now
        reader.stopped = True
        for r in recorders:
            r.stopped = True
        return check(nodes, reader, faulted, args.dir, recorders)
    finally:
        for node in nodes:
            if node.proc and node.proc.poll() is None:
                node.signal(signal.SIGCONT)
                node.signal(signal.SIGKILL)
                node.proc.wait()
        if net:
            net.close()


def check(nodes, reader, faulted, logdir, recorders):
    for asked, oldest in reader.gaps:
        print(f"warning: the event log overwrote events before they were read (asked {asked}, oldest {oldest})")
    listed, offset = [], 0
    while True:
        page = nodes[0].request("sessions.admin.list", {"offset": offset, "limit": 1000})
        listed += page["sessions"]
        offset += len(page["sessions"])
        if not page["sessions"] or offset >= page["total"]:
            break
    logged = [(e["address"], e["body"]) for e in reader.events]
    bus, seen_by = {}, {}  # each event once, however many bridges delivered it
    for r in recorders:
        for address, body in r.events():
            key = ident(address, body)
            bus.setdefault(key, (address, body))
            seen_by.setdefault(key, set()).add(r.node.index)
        print(f"bridge of node {r.node.index}: {len(r.frames)} frames over {len(r.sessions)} connections")
    violations = contract(logged, listed, faulted, "log") + contract(list(bus.values()), listed, faulted, "bus", ordered=False)
    # which events the log lacks, and whether they were ever numbered (a seq on the bus: appended, then lost from
    # the log) or not (published without a seq: the append failed)
    in_log = {ident(a, b): e["seq"] for (a, b), e in zip(logged, reader.events)}
    by_seq = {e["seq"]: ident(e["address"], e["body"]) for e in reader.events}
    missing = {}
    for key, (address, body) in bus.items():
        if key not in in_log:
            kind = ("numbered, seq now holds another event" if by_seq.get(body["seq"]) else "numbered, seq absent") \
                if "seq" in body else "published without seq"
            what = f"{address.split('.')[1]} {body.get('reason', '')}".strip()
            missing.setdefault((kind, what), []).append(body)
    for (kind, what), bodies in sorted(missing.items()):
        line = f"announced but not in the log: {len(bodies)} {what} ({kind}), e.g. {bodies[0]}"
        violations.append(line)
    unannounced = [k for k in in_log if k not in bus]
    if unannounced:
        print(f"in the log but delivered by no bridge: {len(unannounced)}, e.g. {unannounced[0]}")
    by_device = {}
    for s in listed:
        by_device.setdefault(s.get("deviceId"), []).append(s.get("sessionId"))
    for device, sids in by_device.items():
        if len(sids) > 1:
            violations.append(f"device {device} has {len(sids)} live sessions")
    if not whole(nodes):
        violations.append("the cluster is not whole at the end")
    print(f"live={len(listed)} violations={len(violations)}")
    with open(os.path.join(logdir, "violations.txt"), "w") as out:
        out.write("\n".join(violations))
    with open(os.path.join(logdir, "bus.jsonl"), "w") as out:
        for key, (address, body) in bus.items():
            out.write(json.dumps({"address": address, "body": body, "bridges": sorted(seen_by[key])}) + "\n")
    with open(os.path.join(logdir, "log.jsonl"), "w") as out:
        for e in reader.events:
            out.write(json.dumps(e) + "\n")
    for v in [v for v in violations if v.startswith("announced")] + violations[:30]:
        print("  " + v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The rules a chaos run checks its records against (bench/chaos.py; docs/cluster.md, "Chaos run")."""
import json


def ident(address, body):
    """An event's identity: its address and body without seq (every event is unique: session id, reason, time)."""
    return address + " " + json.dumps({k: v for k, v in body.items() if k != "seq"}, sort_keys=True)


def contract(events, listed, faulted, source, ordered=True):
    """The issue's rules over (address, body) pairs, each event once: opened once, at most one close, after the
    open (in the log; on the bus, whose record is the union of three bridges' records, only: an open somewhere),
    NODE_LOST only for a faulted node, every session without a close listed once."""
    opened, closed, violations = {}, {}, []
    if not ordered:
        events = sorted(events, key=lambda e: e[0] != "sessions.opened")
    for address, body in events:
        sid = body.get("sessionId")
        if address == "sessions.opened":
            if sid in opened:
                violations.append(f"{source}: {sid} opened twice")
            opened[sid] = body
        elif address == "sessions.closed":
            closed.setdefault(sid, []).append(body)
            if sid not in opened:
                violations.append(f"{source}: {sid} closed before (or without) its open: {body}")
            if body.get("reason") == "NODE_LOST" and body.get("node") not in faulted:
                violations.append(f"{source}: {sid} NODE_LOST but its node {body.get('node')} was never killed, "
                                  f"frozen or cut off")
    for sid, closes in closed.items():
        if len(closes) > 1:
            violations.append(f"{source}: {sid} closed {len(closes)} times: {[c.get('reason') for c in closes]}")
    live_ids = {}
    for s in listed:
        live_ids[s.get("sessionId")] = live_ids.get(s.get("sessionId"), 0) + 1
    for sid in opened:
        if sid not in closed and live_ids.get(sid, 0) != 1:
            violations.append(f"{source}: {sid} ({opened[sid].get('deviceId')}) has no close and is listed "
                              f"{live_ids.get(sid, 0)} times")
        elif sid in closed and live_ids.get(sid, 0):
            # announced closed while a table still holds it: a close for a live session (an orphan sweep on a
            # node alone in its half announced the majority's live sessions, seed 101 of the fifth round)
            violations.append(f"{source}: {sid} ({opened[sid].get('deviceId')}) closed "
                              f"{[c.get('reason') for c in closed[sid]]} but still listed live")
    reasons = {}
    for closes in closed.values():
        for c in closes:
            reasons[c.get("reason")] = reasons.get(c.get("reason"), 0) + 1
    print(f"{source}: events={len(events)} sessions={len(opened)} closes={sum(len(c) for c in closed.values())} "
          f"by reason={reasons} violations={len(violations)}", flush=True)
    return violations

#!/usr/bin/env python3
"""Applies one deliberate breakage of the core promise to a checkout, for docs/testing.md's table.

Usage (on a scratch copy, never on work you mean to keep):
    git worktree add /tmp/brk HEAD --detach
    python3 testkit/breakages.py 3 /tmp/brk && (cd /tmp/brk && mvn -B verify -Dmaven.test.failure.ignore=true -Dspotless.check.skip=true)
    git -C /tmp/brk checkout -- .

1   UDP: a ping without a status, and a data datagram, no longer touch the session
2   the table verticle asks its ticker for 8 x table.tickMs
2b  the ticker runs 8 x slower than the period it is given
3   every TIMEOUT close is published twice (SessionTable's close funnel)
3b  every TIMEOUT close is published twice (on the event bus, past the table)
"""
import sys


def sub(root, path, old, new):
    file = root + '/' + path
    text = open(file).read()
    if old not in text:
        sys.exit(f'{path}: the code to break has changed; update this script')
    open(file, 'w').write(text.replace(old, new, 1))


def main(which, root):
    if which == '1':
        udp = 'transports/src/main/java/io/sessionbroker/transports/udp/UdpProtocol.java'
        sub(root, udp, """    if (status == null) {
      table.touch(peer.session());
    } else {""", """    if (status == null) {
      // broken: a ping without status is no proof of life
    } else {""")
        sub(root, udp, """      stats.count(Counter.DATA);
      table.touch(peer.session());""", """      stats.count(Counter.DATA);
      // broken: data is no proof of life""")
    elif which == '2':
        sub(root, 'cluster/src/main/java/io/sessionbroker/cluster/SessionTableVerticle.java',
            'ticker.start(options.tickMs(), ', 'ticker.start(options.tickMs() * 8, ')
    elif which == '2b':
        sub(root, 'cluster/src/main/java/io/sessionbroker/cluster/Ticker.java',
            'scheduleAtFixedRate(tick, periodMs, periodMs,', 'scheduleAtFixedRate(tick, periodMs * 8, periodMs * 8,')
    elif which == '3':
        sub(root, 'cluster/src/main/java/io/sessionbroker/cluster/SessionTable.java',
            """      events.closed(session, reason, clock.millis());
""", """      events.closed(session, reason, clock.millis());
      if (reason == CloseReason.TIMEOUT) {
        events.closed(session, reason, clock.millis()); // broken: published twice
      }
""")
    elif which == '3b':
        sub(root, 'cluster/src/main/java/io/sessionbroker/cluster/EventBusEvents.java',
            """    pipeline.publish(Addresses.CLOSED, CloseEvent.of(session, nodeId, reason, at).toJson());
""", """    pipeline.publish(Addresses.CLOSED, CloseEvent.of(session, nodeId, reason, at).toJson());
    if (reason == CloseReason.TIMEOUT) {
      pipeline.publish(Addresses.CLOSED, CloseEvent.of(session, nodeId, reason, at).toJson()); // broken
    }
""")
    else:
        sys.exit(__doc__)
    print('applied breakage', which, 'to', root)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

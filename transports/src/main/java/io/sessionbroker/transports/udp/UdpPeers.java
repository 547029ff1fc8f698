package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CompactIndex;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.StampedLock;

/**
 * The UDP sessions of this node, shared by every event loop: each datagram looks its device up
 * here, hellos and closes change it.
 *
 * <p>Open sessions are in a {@link CompactIndex} (one slot per session, no map entries) behind a
 * {@link StampedLock}. Lookups, one per datagram, read optimistically and take the read lock only
 * when a writer got in the way, so event loops reading at the same time do not contend. Writers are
 * rare: an open or a close. Sessions still being opened wait in a small map of their own, and so do
 * the addresses of peers on IPv6, which do not fit a peer's packed address; both are rare, so their
 * map entries cost little in all.
 */
final class UdpPeers {

  private final CompactIndex<String, UdpPeer> open = new CompactIndex<>(UdpPeer::deviceId);
  private final StampedLock lock = new StampedLock();
  private final Map<String, UdpPeer> opening = new ConcurrentHashMap<>();
  private final Map<UdpPeer, String> ipv6 = new ConcurrentHashMap<>();

  /** The peer of the device's open session, or null. */
  UdpPeer open(String deviceId) {
    long stamp = lock.tryOptimisticRead();
    // CompactIndex.get neither throws nor loops forever on a table that a writer is changing.
    UdpPeer peer = open.get(deviceId);
    if (lock.validate(stamp)) {
      return peer;
    }
    stamp = lock.readLock();
    try {
      return open.get(deviceId);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * The peer of the device's latest hello: the session being opened, else the open one, else null.
   */
  UdpPeer latest(String deviceId) {
    UdpPeer peer = opening.get(deviceId);
    return peer != null ? peer : open(deviceId);
  }

  /**
   * The table is opening a session for {@code peer}; it supersedes any earlier hello still being
   * opened.
   */
  void opening(String deviceId, UdpPeer peer) {
    opening.put(deviceId, peer);
  }

  /** The table has opened the peer's session, or failed to ({@code open} false). */
  void opened(String deviceId, UdpPeer peer, boolean open) {
    opening.remove(deviceId, peer);
    if (!open) {
      ipv6.remove(peer);
      return;
    }
    long stamp = lock.writeLock();
    try {
      this.open.put(peer);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** The peer's session has ended; a newer session of the same device is left alone. */
  void closed(UdpPeer peer) {
    long stamp = lock.writeLock();
    try {
      open.remove(peer);
    } finally {
      lock.unlockWrite(stamp);
    }
    ipv6.remove(peer);
  }

  /** The IPv6 address of a peer as {@code [host]:port}, or null. */
  String ipv6(UdpPeer peer) {
    return ipv6.get(peer);
  }

  /** Records a peer's IPv6 address, or forgets it ({@code remote} null). */
  void ipv6(UdpPeer peer, String remote) {
    if (remote == null) {
      ipv6.remove(peer);
    } else {
      ipv6.put(peer, remote);
    }
  }

  /** Sessions open or being opened. */
  int size() {
    long stamp = lock.readLock();
    try {
      return open.size() + opening.size();
    } finally {
      lock.unlockRead(stamp);
    }
  }
}

package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CompactIndex;
import java.util.concurrent.locks.StampedLock;

/**
 * The UDP sessions of this node by device id, shared by every event loop: each datagram looks its device up
 * here, and hellos and closes change it.
 *
 * <p>A {@link CompactIndex} (one slot per session, no map entries) behind a {@link StampedLock}. Lookups, one
 * per datagram, read optimistically and take the read lock only when a writer got in the way, so event loops
 * reading at the same time do not contend. Writers are rare: a hello or a close.
 */
final class PeerIndex {

  private final CompactIndex<String, UdpPeer> peers = new CompactIndex<>(UdpPeer::deviceId);
  private final StampedLock lock = new StampedLock();

  /** The device's peer, or null. */
  UdpPeer get(String deviceId) {
    long stamp = lock.tryOptimisticRead();
    // CompactIndex.get neither throws nor loops forever on a table that a writer is changing.
    UdpPeer peer = peers.get(deviceId);
    if (lock.validate(stamp)) {
      return peer;
    }
    stamp = lock.readLock();
    try {
      return peers.get(deviceId);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** Makes {@code peer} its device's peer; returns the one it replaces, or null. */
  UdpPeer put(UdpPeer peer) {
    long stamp = lock.writeLock();
    try {
      return peers.put(peer);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** Removes {@code peer} if it is still its device's peer (a newer hello may have replaced it). */
  boolean remove(UdpPeer peer) {
    long stamp = lock.writeLock();
    try {
      return peers.remove(peer);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  int size() {
    long stamp = lock.readLock();
    try {
      return peers.size();
    } finally {
      lock.unlockRead(stamp);
    }
  }
}

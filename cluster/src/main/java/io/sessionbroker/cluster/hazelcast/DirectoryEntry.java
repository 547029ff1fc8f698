package io.sessionbroker.cluster.hazelcast;

import io.sessionbroker.cluster.Session;
import java.io.Serializable;

/**
 * The cluster directory's value for one device: the session that holds it, with what a survivor needs to
 * announce that session's close if its node dies (transport, remote, connectedAt, will). After the session
 * ends the entry stays as a tombstone ({@code sessionId == 0}) so the device's epoch keeps increasing.
 */
public final class DirectoryEntry implements Serializable {

  private static final long serialVersionUID = 1L;

  final long sessionId;
  final String nodeId;
  final long epoch;
  final String transport;
  final String remote;
  final long connectedAt;
  final int timeoutMs;
  /** The session's will as JSON text, or null. */
  final String will;

  DirectoryEntry(long sessionId, String nodeId, long epoch, String transport, String remote, long connectedAt,
      int timeoutMs, String will) {
    this.sessionId = sessionId;
    this.nodeId = nodeId;
    this.epoch = epoch;
    this.transport = transport;
    this.remote = remote;
    this.connectedAt = connectedAt;
    this.timeoutMs = timeoutMs;
    this.will = will;
  }

  static DirectoryEntry of(Session session, String nodeId, long epoch) {
    return new DirectoryEntry(session.id(), nodeId, epoch, session.transport(), session.remote(),
        session.connectedAt(), session.timeoutMs(), session.will() == null ? null : session.will().encode());
  }

  DirectoryEntry withEpoch(long newEpoch) {
    return new DirectoryEntry(sessionId, nodeId, newEpoch, transport, remote, connectedAt, timeoutMs, will);
  }

  DirectoryEntry tombstone() {
    return new DirectoryEntry(0, null, epoch, null, null, 0, 0, null);
  }

  boolean isHeld() {
    return sessionId != 0;
  }
}

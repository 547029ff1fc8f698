package io.sessionbroker.cluster.hazelcast;

import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.Session;
import io.vertx.core.json.JsonObject;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster directory's value for one device: the session that holds it, with what a survivor
 * needs to announce that session's close if its node dies (transport, remote, connectedAt, will).
 * After the session ends the entry stays as a tombstone ({@code sessionId == 0}) so the device's
 * epoch keeps increasing.
 *
 * <p>{@code owed}: the earlier holders that were taken over but whose node has not yet confirmed
 * their close (by releasing them). A claim moves the previous holder here; the release by its node
 * removes it. If that node dies first — typically a crashed node whose devices reconnect elsewhere
 * at once, seconds before the cluster notices the crash, so the takeover message goes to a dead
 * node — the survivor that releases the lost node's entries finds the session here and announces it
 * {@code NODE_LOST}. Without this, such a session would never get its close event.
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

  /** Taken-over holders whose close their node has not confirmed yet; never null. */
  final List<DirectoryEntry> owed;

  /**
   * Set by the holding node's stop ({@link DirectoryProcessors.Closing}) before it hands the
   * session's close to its event pipeline; the entry is released once that close is in the event
   * log. A survivor that finds it set (the stop died in between) announces the session only if the
   * log has no close of it ({@link StopLeftovers}).
   */
  final boolean closing;

  /**
   * The one constructor; entries are made by the factories and copies below, which name what they
   * set.
   */
  private DirectoryEntry(
      long sessionId,
      String nodeId,
      long epoch,
      String transport,
      String remote,
      long connectedAt,
      int timeoutMs,
      String will,
      List<DirectoryEntry> owed,
      boolean closing) {
    this.sessionId = sessionId;
    this.nodeId = nodeId;
    this.epoch = epoch;
    this.transport = transport;
    this.remote = remote;
    this.connectedAt = connectedAt;
    this.timeoutMs = timeoutMs;
    this.will = will;
    this.owed = owed;
    this.closing = closing;
  }

  /**
   * A claimant with everything a survivor needs to announce its close; its epoch is set by the
   * claim.
   */
  static DirectoryEntry of(Session session, String nodeId) {
    return new DirectoryEntry(
        session.id(),
        nodeId,
        0,
        session.transport(),
        session.remote(),
        session.connectedAt(),
        session.timeoutMs(),
        session.will() == null ? null : session.will().encode(),
        List.of(),
        false);
  }

  /** An entry as {@link DirectoryEntrySerializer} read it back. */
  static DirectoryEntry restore(
      long sessionId,
      String nodeId,
      long epoch,
      String transport,
      String remote,
      long connectedAt,
      int timeoutMs,
      String will,
      List<DirectoryEntry> owed,
      boolean closing) {
    return new DirectoryEntry(
        sessionId, nodeId, epoch, transport, remote, connectedAt, timeoutMs, will, owed, closing);
  }

  /** A claimant known by its ids only: a node-loss close of it can name nothing else. */
  static DirectoryEntry idsOnly(long sessionId, String nodeId) {
    return new DirectoryEntry(sessionId, nodeId, 0, null, null, 0, 0, null, List.of(), false);
  }

  /** A device's entry with no holder at {@code epoch}, still owing the closes in {@code owed}. */
  static DirectoryEntry tombstone(long epoch, List<DirectoryEntry> owed) {
    return new DirectoryEntry(0, null, epoch, null, null, 0, 0, null, owed, false);
  }

  /**
   * This claimant as the successor of {@code previous}: next epoch, previous holder owed a close.
   */
  DirectoryEntry succeeding(DirectoryEntry previous) {
    if (previous == null) {
      return withEpochAndOwed(1, List.of());
    }
    List<DirectoryEntry> stillOwed = new ArrayList<>(previous.owed);
    if (previous.isHeld()) {
      stillOwed.add(previous.withOwed(List.of()));
    }
    return withEpochAndOwed(previous.epoch + 1, List.copyOf(stillOwed));
  }

  /**
   * What this entry's claim found, as far as a claim's answer needs it (the epoch before, and its
   * holder if it is still owed a close): null for a first epoch, else the owed holder of the epoch
   * before, else a tombstone.
   */
  DirectoryEntry predecessor() {
    if (epoch == 1) {
      return null;
    }
    return owed.stream()
        .filter(o -> o.epoch == epoch - 1)
        .findFirst()
        .orElseGet(() -> tombstone(epoch - 1, List.of()));
  }

  DirectoryEntry withOwed(List<DirectoryEntry> newOwed) {
    return withEpochAndOwed(epoch, List.copyOf(newOwed));
  }

  /** This holder at {@code newEpoch}, owing {@code newOwed}. */
  private DirectoryEntry withEpochAndOwed(long newEpoch, List<DirectoryEntry> newOwed) {
    return new DirectoryEntry(
        sessionId,
        nodeId,
        newEpoch,
        transport,
        remote,
        connectedAt,
        timeoutMs,
        will,
        newOwed,
        closing);
  }

  /** This entry marked {@link #closing}: its node's stop is announcing its close. */
  DirectoryEntry markedClosing() {
    return new DirectoryEntry(
        sessionId, nodeId, epoch, transport, remote, connectedAt, timeoutMs, will, owed, true);
  }

  /** The entry once its holder is gone: keeps the epoch and whatever is still owed. */
  DirectoryEntry tombstone() {
    return tombstone(epoch, owed);
  }

  /** The index in {@link #owed} of the earlier holder {@code sessionId}, or -1. */
  int owedIndex(long sessionId) {
    for (int i = 0; i < owed.size(); i++) {
      if (owed.get(i).sessionId == sessionId) {
        return i;
      }
    }
    return -1;
  }

  /** Whether this entry names {@code node} as holder or as holder of an owed session. */
  boolean involves(String node) {
    return node.equals(nodeId) || owed.stream().anyMatch(o -> node.equals(o.nodeId));
  }

  boolean isHeld() {
    return sessionId != 0;
  }

  /**
   * The close a survivor ({@code announcer}) publishes for this session of a node that is gone: its
   * last heartbeat died with that node, so it is not in the event.
   */
  JsonObject nodeLostEvent(String deviceId, String announcer, long at) {
    return CloseEvent.nodeLost(deviceId, sessionId, nodeId, announcer, at)
        .transport(transport)
        .remote(remote)
        .epoch(epoch)
        .connectedAt(connectedAt)
        .timeoutMs(timeoutMs)
        .will(will == null ? null : new JsonObject(will))
        .toJson();
  }
}

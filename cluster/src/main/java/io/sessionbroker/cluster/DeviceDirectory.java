package io.sessionbroker.cluster;

import io.vertx.core.Future;

/**
 * Who holds which device: the store behind "at most one live session per device". Standalone it is
 * a map in this process ({@link LocalDirectory}); clustered it is shared by every node. It is
 * written on open and close only, never per heartbeat.
 *
 * <p>Contract: {@link #claim} is atomic per device — of two concurrent claims, one sees the other
 * as its previous holder — and the epoch it returns is larger than every epoch returned before for
 * that device. {@link #release} removes the holder only if it still names the given session, so a
 * late release of a taken-over session never removes its successor.
 */
public interface DeviceDirectory {

  /** Names {@code sessionId} on {@code nodeId} the holder of {@code deviceId}. */
  Future<Claim> claim(String deviceId, long sessionId, String nodeId);

  /**
   * Names {@code session} the holder of its device. A clustered directory stores what a survivor
   * needs to announce the session's close if this node dies; the standalone one needs only the ids.
   */
  default Future<Claim> claim(Session session, String nodeId) {
    return claim(session.deviceId(), session.id(), nodeId);
  }

  /** Removes the holder of {@code deviceId} if it is {@code sessionId}; true if it was. */
  Future<Boolean> release(String deviceId, long sessionId);

  /**
   * Whether the directory still names {@code sessionId} for {@code deviceId} (as holder or owed a
   * close), marking it, if so, as being closed by its own node: what a stopping node asks before it
   * announces a close it made, keeping the entry until that close is in the event log ({@link
   * CutOffSessions#settleWithheld}). Then a node that dies before its {@link #release} leaves the
   * entry to the survivors, who announce the session unless the log has its close. The standalone
   * directory has no survivors to tell: it only answers.
   */
  default Future<Boolean> closing(String deviceId, long sessionId) {
    return holder(deviceId).map(holder -> holder != null && holder.sessionId() == sessionId);
  }

  /**
   * Who holds {@code deviceId} now, or null: where a command to the device goes. Read only, and
   * only per command: never on the heartbeat path.
   */
  Future<Holder> holder(String deviceId);

  /**
   * The outcome of a claim: the new session's epoch and whoever held the device before, or null.
   */
  record Claim(long epoch, Holder previous) {}

  /** A directory entry: the session that holds a device and the node that holds its socket. */
  record Holder(long sessionId, String nodeId) {}
}

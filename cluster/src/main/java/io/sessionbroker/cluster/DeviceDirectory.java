package io.sessionbroker.cluster;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
   * {@link #closing} for many sessions at once ({@code devices}: device id by session id);
   * completes with the ids of those the directory still names, now marked, or fails as a whole
   * (each mark is idempotent, so the lot can be asked again). What a graceful stop asks: the
   * cluster directory sends one operation per partition for the lot where one per session (10,000
   * at a stop of 10,000 sessions) queued behind each other; this default asks per session.
   */
  default Future<Set<Long>> closingAll(Map<Long, String> devices) {
    List<Long> ids = new ArrayList<>(devices.keySet());
    List<Future<Boolean>> marks = new ArrayList<>();
    ids.forEach(id -> marks.add(closing(devices.get(id), id)));
    return Future.all(marks)
        .map(
            all -> {
              Set<Long> marked = new HashSet<>();
              for (int i = 0; i < ids.size(); i++) {
                if (marks.get(i).result()) {
                  marked.add(ids.get(i));
                }
              }
              return marked;
            });
  }

  /**
   * {@link #release} for many sessions at once ({@code devices}: device id by session id);
   * completes with how many it released. A stop releases its marked entries so, once their closes
   * are in the event log; this default releases per session.
   */
  default Future<Integer> releaseAll(Map<Long, String> devices) {
    List<Future<Boolean>> released = new ArrayList<>();
    devices.forEach((id, device) -> released.add(release(device, id)));
    return Future.all(released).map(all -> (int) released.stream().filter(Future::result).count());
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

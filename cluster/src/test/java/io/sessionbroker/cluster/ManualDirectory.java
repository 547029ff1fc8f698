package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A directory whose claims stay pending until the test completes them, like a clustered directory whose
 * entry processor is still on the wire. Claims are answered by a real {@link LocalDirectory}.
 */
final class ManualDirectory implements DeviceDirectory {

  private record PendingClaim(String deviceId, long sessionId, String nodeId, Promise<Claim> promise) {}

  private final LocalDirectory store = new LocalDirectory();
  private final Deque<PendingClaim> pending = new ArrayDeque<>();

  @Override
  public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
    Promise<Claim> promise = Promise.promise();
    pending.add(new PendingClaim(deviceId, sessionId, nodeId, promise));
    return promise.future();
  }

  @Override
  public Future<Boolean> release(String deviceId, long sessionId) {
    return store.release(deviceId, sessionId);
  }

  int pendingClaims() {
    return pending.size();
  }

  /** Performs and answers the oldest pending claim. */
  void completeNextClaim() {
    PendingClaim claim = pending.remove();
    claim.promise().complete(store.claim(claim.deviceId(), claim.sessionId(), claim.nodeId()).result());
  }

  /** Fails the oldest pending claim, as a directory that lost its cluster would. */
  void failNextClaim(Throwable cause) {
    pending.remove().promise().fail(cause);
  }
}

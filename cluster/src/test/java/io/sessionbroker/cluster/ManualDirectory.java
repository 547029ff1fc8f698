package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * A directory whose answers the test delivers by hand, like a clustered directory whose entry
 * processor has run but whose reply is still on the wire. Claims take effect at once, in call
 * order, in a real {@link LocalDirectory}; only the answers wait, and the test may deliver them in
 * any order.
 */
final class ManualDirectory implements DeviceDirectory {

  private record PendingAnswer(Claim claim, Promise<Claim> promise) {}

  private final LocalDirectory store = new LocalDirectory();
  private final List<PendingAnswer> pending = new ArrayList<>();

  @Override
  public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
    Promise<Claim> promise = Promise.promise();
    pending.add(new PendingAnswer(store.claim(deviceId, sessionId, nodeId).result(), promise));
    return promise.future();
  }

  @Override
  public Future<Boolean> release(String deviceId, long sessionId) {
    return store.release(deviceId, sessionId);
  }

  @Override
  public Future<Holder> holder(String deviceId) {
    return store.holder(deviceId);
  }

  int pendingClaims() {
    return pending.size();
  }

  /** Delivers the answer of the {@code index}-th claim still pending (0 = the oldest). */
  void answer(int index) {
    PendingAnswer answer = pending.remove(index);
    answer.promise().complete(answer.claim());
  }

  /** Fails the oldest pending claim, as a directory that lost its cluster would. */
  void failOldest(Throwable cause) {
    pending.remove(0).promise().fail(cause);
  }
}

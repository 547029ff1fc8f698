package io.sessionbroker.cluster;

import io.vertx.core.Future;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The standalone directory: one map in this process.
 *
 * <p>An entry outlives its session with no holder (sessionId 0), so the device's epoch keeps increasing
 * across sessions. Memory therefore grows with the number of distinct devices ever seen, which is the size of
 * the fleet: about 100 bytes per device.
 */
public final class LocalDirectory implements DeviceDirectory {

  private record Entry(long sessionId, String nodeId, long epoch) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  @Override
  public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
    Entry[] before = new Entry[1];
    Entry after = entries.compute(deviceId, (device, old) -> {
      before[0] = old;
      return new Entry(sessionId, nodeId, old == null ? 1 : old.epoch() + 1);
    });
    Entry old = before[0];
    Holder previous = old == null || old.sessionId() == 0 ? null : new Holder(old.sessionId(), old.nodeId());
    return Future.succeededFuture(new Claim(after.epoch(), previous));
  }

  @Override
  public Future<Boolean> release(String deviceId, long sessionId) {
    boolean[] released = new boolean[1];
    entries.computeIfPresent(deviceId, (device, entry) -> {
      if (entry.sessionId() != sessionId) {
        return entry;
      }
      released[0] = true;
      return new Entry(0, null, entry.epoch());
    });
    return Future.succeededFuture(released[0]);
  }
}

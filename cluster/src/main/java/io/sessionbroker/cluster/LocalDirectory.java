package io.sessionbroker.cluster;

import io.vertx.core.Future;

/**
 * The standalone directory: one index in this process.
 *
 * <p>An entry outlives its session with no holder (sessionId 0), so the device's epoch keeps
 * increasing across sessions. Memory therefore grows with the number of distinct devices ever seen,
 * which is the size of the fleet. Each device costs one mutable 32-byte entry plus its slot in a
 * {@link CompactIndex} (the device id string is the session's own), about 40 bytes in all; a {@code
 * ConcurrentHashMap} of immutable records cost about 75. Claims and releases are rare (open and
 * close only), so one lock is enough.
 */
public final class LocalDirectory implements DeviceDirectory {

  /**
   * Who holds one device, updated in place under the directory's lock: 32 bytes. The epoch is kept
   * as an {@code int}: a device would need two billion sessions to outgrow it (68 years at one a
   * second), and {@link #claim} fails loudly rather than wrap.
   */
  private static final class Entry {
    final String deviceId;
    long sessionId;
    int epoch;
    String nodeId;

    Entry(String deviceId) {
      this.deviceId = deviceId;
    }
  }

  private final CompactIndex<String, Entry> entries = new CompactIndex<>(entry -> entry.deviceId);

  @Override
  public synchronized Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
    Entry entry = entries.get(deviceId);
    if (entry == null) {
      entry = new Entry(deviceId);
      entries.put(entry);
    }
    Holder previous = entry.sessionId == 0 ? null : new Holder(entry.sessionId, entry.nodeId);
    entry.sessionId = sessionId;
    entry.nodeId = nodeId;
    entry.epoch = Math.addExact(entry.epoch, 1);
    return Future.succeededFuture(new Claim(entry.epoch, previous));
  }

  @Override
  public synchronized Future<Holder> holder(String deviceId) {
    Entry entry = entries.get(deviceId);
    return Future.succeededFuture(
        entry == null || entry.sessionId == 0 ? null : new Holder(entry.sessionId, entry.nodeId));
  }

  @Override
  public synchronized Future<Boolean> release(String deviceId, long sessionId) {
    Entry entry = entries.get(deviceId);
    if (entry == null || entry.sessionId != sessionId) {
      return Future.succeededFuture(false);
    }
    entry.sessionId = 0;
    entry.nodeId = null;
    return Future.succeededFuture(true);
  }
}

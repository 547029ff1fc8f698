package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * Why devices that were still heartbeating lost their sessions ("lost while active"): the broker's
 * close event for each, against the device's own heartbeat send times. A {@code TIMEOUT} is the
 * broker's due when the device sent nothing for its whole timeout before the close's {@code at}
 * ({@code generatorLate}: the load generator fell behind its own schedule), and a wrongful one when
 * it had sent a heartbeat within its timeout ({@code heartbeatNotCounted}: sent, but not read or
 * not counted in time; on UDP also dropped by the kernel). Compared on the wall clock both sides
 * anchor their monotonic clocks to (docs/events.md), at the close event's 1 ms resolution.
 */
final class Losses {

  private Losses() {}

  /** Wall times (ms) of a device's last heartbeats sent, newest last; kept by {@link #sent}. */
  static final int KEPT = 4;

  /** Records a heartbeat (or opening) sent at {@code wallMs}. */
  static void sent(Device d, double wallMs) {
    d.sentWallMs[d.sentCount++ % KEPT] = wallMs;
  }

  /** The device's last recorded send at or before {@code atMs}; NaN if none is kept. */
  static double lastSentBefore(Device d, long atMs) {
    double best = Double.NaN;
    for (int i = 0; i < Math.min(d.sentCount, KEPT); i++) {
      double t = d.sentWallMs[i];
      if (Math.floor(t) <= atMs && (Double.isNaN(best) || t > best)) {
        best = t;
      }
    }
    return best;
  }

  /** The workers' losses as one: counts summed, reasons added, the worst of the worst. */
  static JsonObject merge(List<JsonObject> results) {
    JsonObject merged = new JsonObject().put("closeReasons", new JsonObject());
    for (JsonObject r : results) {
      JsonObject l = r.getJsonObject("losses");
      if (l == null) {
        continue;
      }
      for (String key :
          List.of("lost", "beforeSilence", "generatorLate", "heartbeatNotCounted", "noEvent")) {
        merged.put(key, merged.getLong(key, 0L) + l.getLong(key));
      }
      l.getJsonObject("closeReasons")
          .forEach(
              e ->
                  merged
                      .getJsonObject("closeReasons")
                      .put(
                          e.getKey(),
                          merged.getJsonObject("closeReasons").getLong(e.getKey(), 0L)
                              + ((Number) e.getValue()).longValue()));
      merged.put(
          "heartbeatNotCountedWorstMs",
          Math.max(
              merged.getDouble("heartbeatNotCountedWorstMs", 0.0),
              l.getDouble("heartbeatNotCountedWorstMs")));
    }
    return merged;
  }

  /** The report's line for the losses, or "" when there were none. */
  static String text(JsonObject merged) {
    if (merged.getLong("lost", 0L) == 0) {
      return "";
    }
    return String.format(
        "lost while active %d (%d before the silence): close reasons %s; TIMEOUT after the device"
            + " sent nothing for its timeout (the generator behind its schedule) %d, TIMEOUT with a"
            + " heartbeat sent within it (not counted in time; up to %.0f ms early) %d; no close"
            + " event seen %d%n",
        merged.getLong("lost"),
        merged.getLong("beforeSilence"),
        merged.getJsonObject("closeReasons").encode(),
        merged.getLong("generatorLate"),
        merged.getDouble("heartbeatNotCountedWorstMs"),
        merged.getLong("heartbeatNotCounted"),
        merged.getLong("noEvent"));
  }

  /**
   * The losses of {@code devices} by cause; {@code closeOf} gives a device's close event as the
   * bridge saw it, or null.
   */
  static JsonObject of(List<Device> devices, Function<String, JsonObject> closeOf) {
    JsonObject reasons = new JsonObject();
    int lost = 0;
    int beforeSilence = 0;
    int generatorLate = 0;
    int heartbeatNotCounted = 0;
    int noEvent = 0;
    double worstEarlyMs = 0;
    for (Device d : devices) {
      if (!d.lost) {
        continue;
      }
      lost++;
      beforeSilence += d.lostBeforeSilence ? 1 : 0;
      JsonObject close = closeOf.apply(d.id);
      if (close == null) {
        noEvent++;
        continue;
      }
      String reason = close.getString(CloseEvent.REASON);
      reasons.put(reason, reasons.getInteger(reason, 0) + 1);
      if (!CloseReason.TIMEOUT.name().equals(reason)) {
        continue;
      }
      long at = close.getLong("at");
      double last = lastSentBefore(d, at);
      double silentForMs = at - Math.floor(last);
      if (Double.isNaN(last) || silentForMs >= close.getLong("timeoutMs")) {
        generatorLate++;
      } else {
        heartbeatNotCounted++;
        worstEarlyMs = Math.max(worstEarlyMs, close.getLong("timeoutMs") - silentForMs);
      }
    }
    return new JsonObject()
        .put("lost", lost)
        .put("beforeSilence", beforeSilence)
        .put("closeReasons", reasons)
        .put("generatorLate", generatorLate)
        .put("heartbeatNotCounted", heartbeatNotCounted)
        .put("heartbeatNotCountedWorstMs", worstEarlyMs)
        .put("noEvent", noEvent);
  }
}

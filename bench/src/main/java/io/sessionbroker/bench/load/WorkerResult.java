package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.CloseEvent;
import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One worker's outcome as JSON, with the raw lateness samples (one per silent device) so that the
 * parent can merge several workers before taking percentiles. Lateness, in ms, per silent device:
 *
 * <ul>
 *   <li>{@code event}: close event {@code at} − last heartbeat sent − {@code timeoutMs} (issue 7's
 *       definition);
 *   <li>{@code broker}: close event {@code at} − {@code lastSeenAt} − {@code timeoutMs}, the
 *       broker's own view (the previous one minus the heartbeat's trip through loopback and the
 *       transport);
 *   <li>{@code client}: the moment the device saw its socket closed − last heartbeat sent −
 *       timeout; the only one a broker without an event bus (Mosquitto) allows.
 * </ul>
 */
record WorkerResult(List<Device> devices, Counters counters, BridgeWatch bridge) {

  JsonObject toJson() {
    JsonObject samples = new JsonObject();
    JsonObject reasons = new JsonObject();
    JsonObject opened = new JsonObject();
    int silent = 0;
    int missingEvents = 0;
    int missingClientCloses = 0;
    for (Device d : devices) {
      if (d.timeoutMs == 0) {
        continue; // never opened
      }
      opened.put(d.transport.label(), opened.getInteger(d.transport.label(), 0) + 1);
      if (!d.silencePingSent) {
        continue; // active, or closed before the silence (counted as lost while active)
      }
      silent++;
      JsonObject s = samples.getJsonObject(d.transport.label());
      if (s == null) {
        s =
            new JsonObject()
                .put("event", new JsonArray())
                .put("broker", new JsonArray())
                .put("client", new JsonArray())
                .put("bye", new JsonArray())
                .put("polled", new JsonArray());
        samples.put(d.transport.label(), s);
      }
      if (d.state == Device.State.CLOSED) {
        s.getJsonArray("client").add(round((d.closedNanos - d.lastSentNanos) / 1e6 - d.timeoutMs));
        s.getJsonArray("polled")
            .add(round((d.closedPolledNanos - d.lastSentNanos) / 1e6 - d.timeoutMs));
      } else {
        missingClientCloses++;
      }
      if (d.byeNanos > 0) {
        s.getJsonArray("bye").add(round((d.byeNanos - d.lastSentNanos) / 1e6 - d.timeoutMs));
      }
      JsonObject close = bridge == null ? null : bridge.closeOf(d.id);
      if (close == null) {
        missingEvents += bridge == null ? 0 : 1;
        continue;
      }
      String reason = close.getString(CloseEvent.REASON);
      reasons.put(reason, reasons.getInteger(reason, 0) + 1);
      if (CloseReason.TIMEOUT.name().equals(reason)) {
        long at = close.getLong("at");
        long timeoutMs = close.getLong("timeoutMs");
        // at has 1 ms resolution (truncated): compare it with the send time truncated the same way
        s.getJsonArray("event").add(at - Math.floor(d.lastSentWallMs) - timeoutMs);
        s.getJsonArray("broker").add(at - close.getLong("lastSeenAt") - timeoutMs);
      }
    }
    return new JsonObject()
        .put("devices", devices.size())
        .put("opened", counters.opened)
        .put("openedBy", opened)
        .put("failed", counters.failed)
        .put("firstFailure", counters.firstFailure)
        .put("unexpectedCloses", counters.unexpectedCloses)
        .put("losses", Losses.of(devices, bridge == null ? id -> null : bridge::anyCloseOf))
        .put("silent", silent)
        .put("missingEvents", missingEvents)
        .put("missingClientCloses", missingClientCloses)
        .put("closeReasons", reasons)
        .put("samples", samples)
        .put("firstStartWallMs", counters.firstStartWallMs)
        .put("lastOpenWallMs", counters.lastOpenWallMs)
        .put("udpPongs", counters.udpPongs)
        .put("udpHelloRetries", counters.udpHelloRetries)
        .put("udpSendFull", counters.udpSendFull)
        .put("udpUnknown", counters.udpUnknown);
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }
}

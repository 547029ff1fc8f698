package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.CloseEvent;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One worker's reconnect storm ({@code --storm 1}): the connection sessions it cut at once, and
 * when each came back. A cut session must be announced closed (by the broker's event bus bridge:
 * {@code CONNECTION_LOST}, the socket's loss) and its device welcomed again; the figure is the time
 * from the cut to the last welcome, on the wall clock so that several processes' storms merge
 * ({@link Report#mergeStorm}).
 */
final class Storm {

  private final List<Device> cut;
  private final double cutWallMs;
  private int welcomed;
  private double lastWelcomeWallMs;

  Storm(List<Device> cut, double cutWallMs) {
    this.cut = cut;
    this.cutWallMs = cutWallMs;
  }

  List<Device> cut() {
    return cut;
  }

  void welcomed(double wallMs) {
    welcomed++;
    lastWelcomeWallMs = Math.max(lastWelcomeWallMs, wallMs);
  }

  /** Whether every cut session's close event has come (true without a bridge to watch). */
  boolean announced(BridgeWatch bridge) {
    return bridge == null || cut.stream().allMatch(d -> bridge.closeOf(d.id) != null);
  }

  JsonObject toJson(BridgeWatch bridge) {
    JsonObject reasons = new JsonObject();
    int missingEvents = 0;
    double lastEventWallMs = 0;
    for (Device d : cut) {
      JsonObject close = bridge == null ? null : bridge.closeOf(d.id);
      if (close == null) {
        missingEvents += bridge == null ? 0 : 1;
        continue;
      }
      String reason = close.getString(CloseEvent.REASON);
      reasons.put(reason, reasons.getInteger(reason, 0) + 1);
      lastEventWallMs = Math.max(lastEventWallMs, close.getLong("at"));
    }
    return new JsonObject()
        .put("cut", cut.size())
        .put("welcomed", welcomed)
        .put("notBack", cut.stream().filter(d -> d.state != Device.State.OPEN).count())
        .put("cutWallMs", cutWallMs)
        .put("lastWelcomeWallMs", lastWelcomeWallMs)
        .put("lastCloseEventWallMs", lastEventWallMs)
        .put("closeReasons", reasons)
        .put("missingEvents", missingEvents);
  }
}

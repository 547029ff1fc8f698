package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Merges the workers' results into one report: JSON for scripts, a few lines of text for people.
 */
final class Report {

  private static final String[] KINDS = {"event", "broker", "client", "bye", "polled"};

  private Report() {}

  static JsonObject merge(
      LoadOptions o, int processes, BrokerSampler sampler, List<JsonObject> results) {
    JsonObject totals = new JsonObject();
    for (String key :
        List.of(
            "devices",
            "opened",
            "failed",
            "unexpectedCloses",
            "silent",
            "missingEvents",
            "missingClientCloses")) {
      totals.put(key, results.stream().mapToLong(r -> r.getLong(key)).sum());
    }
    if (o.transports().contains(Transport.UDP)) {
      for (String key : List.of("udpPongs", "udpHelloRetries", "udpSendFull", "udpUnknown")) {
        totals.put(key, results.stream().mapToLong(r -> r.getLong(key, 0L)).sum());
      }
    }
    double first =
        results.stream().mapToDouble(r -> r.getDouble("firstStartWallMs")).min().orElse(0);
    double last = results.stream().mapToDouble(r -> r.getDouble("lastOpenWallMs")).max().orElse(0);
    long opened = totals.getLong("opened");
    for (String key : List.of("rampUserMs", "rampSystemMs")) { // this generator's own CPU
      totals.put(key, results.stream().mapToLong(r -> r.getLong(key, 0L)).sum());
    }
    totals
        .put("connectSeconds", Math.round(last - first) / 1000.0)
        .put("connectsPerS", last > first ? Math.round(opened / ((last - first) / 1000)) : 0);
    JsonObject reasons = new JsonObject();
    JsonObject openedBy = new JsonObject();
    Map<String, Map<String, List<Double>>> samples = new TreeMap<>();
    for (JsonObject r : results) {
      add(reasons, r.getJsonObject("closeReasons"));
      add(openedBy, r.getJsonObject("openedBy"));
      if (r.getString("firstFailure") != null && !totals.containsKey("firstFailure")) {
        totals.put("firstFailure", r.getString("firstFailure"));
      }
      for (String transport : r.getJsonObject("samples").fieldNames()) {
        for (String kind : KINDS) {
          JsonArray values = r.getJsonObject("samples").getJsonObject(transport).getJsonArray(kind);
          for (String bucket : List.of(transport, "all")) {
            List<Double> into =
                samples
                    .computeIfAbsent(bucket, k -> new TreeMap<>())
                    .computeIfAbsent(kind, k -> new ArrayList<>());
            values.forEach(v -> into.add(((Number) v).doubleValue()));
          }
        }
      }
    }
    JsonObject lateness = new JsonObject();
    samples.forEach(
        (bucket, kinds) -> {
          JsonObject byKind = new JsonObject();
          kinds.forEach(
              (kind, list) ->
                  byKind.put(
                      kind,
                      Summary.of(list.stream().mapToDouble(Double::doubleValue).toArray())
                          .toJson()));
          lateness.put(bucket, byKind);
        });
    JsonObject report =
        new JsonObject()
            .put("options", options(o))
            .put("processes", processes)
            .put("totals", totals)
            .put("openedBy", openedBy)
            .put("closeReasons", reasons)
            .put("latenessMs", lateness)
            .put("broker", sampler.toJson())
            .put("losses", Losses.merge(results));
    if (o.storm()) {
      report.put("storm", mergeStorm(results));
    }
    return report;
  }

  /**
   * The workers' storms as one: counts summed, the cut at the first process's, the last welcome and
   * the last close event at the last one's; {@code seconds} from the cut to the last welcome.
   */
  static JsonObject mergeStorm(List<JsonObject> results) {
    JsonObject merged = new JsonObject();
    JsonObject reasons = new JsonObject();
    double cut = Double.MAX_VALUE;
    double lastWelcome = 0;
    double lastEvent = 0;
    for (JsonObject r : results) {
      JsonObject s = r.getJsonObject("storm");
      for (String key : List.of("cut", "welcomed", "notBack", "missingEvents")) {
        merged.put(key, merged.getLong(key, 0L) + s.getLong(key));
      }
      add(reasons, s.getJsonObject("closeReasons"));
      cut = Math.min(cut, s.getDouble("cutWallMs"));
      lastWelcome = Math.max(lastWelcome, s.getDouble("lastWelcomeWallMs"));
      lastEvent = Math.max(lastEvent, s.getDouble("lastCloseEventWallMs"));
    }
    return merged
        .put("closeReasons", reasons)
        .put("lastWelcomeS", Math.round(lastWelcome - cut) / 1000.0)
        .put("lastCloseEventS", lastEvent > 0 ? Math.round(lastEvent - cut) / 1000.0 : null);
  }

  static String text(JsonObject report) {
    StringBuilder b = new StringBuilder();
    JsonObject t = report.getJsonObject("totals");
    b.append(
        String.format(
            "devices %d in %d process(es): opened %d %s, failed %d, lost while active %d%n",
            t.getLong("devices"),
            report.getInteger("processes"),
            t.getLong("opened"),
            report.getJsonObject("openedBy").encode(),
            t.getLong("failed"),
            t.getLong("unexpectedCloses")));
    if (t.getString("firstFailure") != null) {
      b.append("  first failure: ").append(t.getString("firstFailure")).append('\n');
    }
    if (t.containsKey("udpPongs")) {
      b.append(
          String.format(
              "udp: pongs %d, hellos sent again %d, sends refused (buffer full) %d, "
                  + "datagrams not understood %d%n",
              t.getLong("udpPongs"),
              t.getLong("udpHelloRetries"),
              t.getLong("udpSendFull"),
              t.getLong("udpUnknown")));
    }
    b.append(
        String.format(
            "connect: %d sessions/s (%.2f s from first connect to last session open); load"
                + " generator CPU over it %d µs per session (user %d ms, system %d ms)%n",
            t.getLong("connectsPerS"),
            t.getDouble("connectSeconds"),
            t.getLong("opened") == 0
                ? 0
                : (t.getLong("rampUserMs") + t.getLong("rampSystemMs"))
                    * 1000
                    / t.getLong("opened"),
            t.getLong("rampUserMs"),
            t.getLong("rampSystemMs")));
    b.append("broker: ").append(report.getJsonObject("broker").encode()).append('\n');
    JsonObject storm = report.getJsonObject("storm");
    if (storm != null) {
      b.append(
          String.format(
              "storm: cut %d, welcomed again %d (not back %d), last welcome %.3f s after the cut;"
                  + " close reasons %s, no close event %d, last close event %s s after the cut%n",
              storm.getLong("cut"),
              storm.getLong("welcomed"),
              storm.getLong("notBack"),
              storm.getDouble("lastWelcomeS"),
              storm.getJsonObject("closeReasons").encode(),
              storm.getLong("missingEvents"),
              storm.getValue("lastCloseEventS")));
    }
    JsonObject losses = report.getJsonObject("losses");
    b.append(losses == null ? "" : Losses.text(losses));
    if (t.getLong("silent") > 0) {
      b.append(
          String.format(
              "silent %d: close reasons %s, no close event %d, socket not closed %d%n",
              t.getLong("silent"),
              report.getJsonObject("closeReasons").encode(),
              t.getLong("missingEvents"),
              t.getLong("missingClientCloses")));
      JsonObject lateness = report.getJsonObject("latenessMs");
      for (String bucket : lateness.fieldNames()) {
        for (String kind : KINDS) {
          JsonObject s = lateness.getJsonObject(bucket).getJsonObject(kind);
          if (s.getInteger("count") > 0) {
            b.append(
                String.format(
                    "  lateness %-9s %-6s n=%d min=%s p50=%s p99=%s max=%s ms early=%d%n",
                    bucket,
                    kind,
                    s.getInteger("count"),
                    s.getValue("min"),
                    s.getValue("p50"),
                    s.getValue("p99"),
                    s.getValue("max"),
                    s.getInteger("early")));
          }
        }
      }
    }
    return b.toString();
  }

  private static void add(JsonObject into, JsonObject counts) {
    counts.forEach(
        e ->
            into.put(
                e.getKey(), into.getLong(e.getKey(), 0L) + ((Number) e.getValue()).longValue()));
  }

  private static JsonObject options(LoadOptions o) {
    return new JsonObject()
        .put("transports", o.transports().stream().map(Transport::label).toList())
        .put("devices", o.devices())
        .put("rate", o.ratePerS())
        .put("heartbeatMs", o.heartbeatMs())
        .put("holdS", o.holdS())
        .put("silent", o.silentShare())
        .put("perProcess", o.perProcess());
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How the admin commands print for people: columns, times in UTC, durations in seconds. */
final class Show {

  private Show() {}

  /** Rows in columns two spaces apart; the last column is not padded. */
  static void table(PrintWriter out, List<String[]> rows) {
    if (rows.isEmpty()) {
      return;
    }
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** Milliseconds since the epoch as {@code 2026-12-05T00:40:01.123Z}. */
  static String time(long epochMs) {
    return Instant.ofEpochMilli(epochMs).truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** Milliseconds as {@code 7.5 s}. */
  static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  /** {@code {"tcp":2,"mqtt":1}} as {@code tcp 2, mqtt 1}; {@code -} when empty. */
  static String counts(JsonObject counts) {
    if (counts == null || counts.isEmpty()) {
      return "-";
    }
    List<String> parts = new ArrayList<>();
    counts.forEach(e -> parts.add(e.getKey() + " " + e.getValue()));
    return String.join(", ", parts);
  }

  /** The nodes that did not answer, when some did not: the answer is then partial. */
  static void unreachable(PrintWriter out, JsonObject answer) {
    JsonArray unreachable = answer.getJsonArray("unreachable");
    if (unreachable != null && !unreachable.isEmpty()) {
      List<String> nodes = new ArrayList<>();
      unreachable.forEach(n -> nodes.add(String.valueOf(n)));
      out.println("partial answer: no reply from " + String.join(", ", nodes));
    }
  }

  /**
   * One event of the log on one line: seq, time, kind, device, transport, node, and what ended it.
   */
  static String event(JsonObject entry) {
    JsonObject body = entry.getJsonObject("body", new JsonObject());
    String address = entry.getString("address", "");
    String kind =
        address.startsWith("sessions.") ? address.substring("sessions.".length()) : address;
    String detail =
        switch (kind) {
          case "opened" -> "session " + body.getString("sessionId");
          case "closed" ->
              body.getString("reason")
                  + (body.getValue("durationMs") instanceof Number d
                      ? " after " + seconds(d.longValue())
                      : "");
          case "rejected" -> body.getString("code") + ": " + body.getString("message");
          default -> body.encode();
        };
    Object at = body.getValue("at");
    return String.join(
        "  ",
        String.valueOf(entry.getValue("seq", body.getValue("seq"))),
        at instanceof Number n ? time(n.longValue()) : "-",
        String.format("%-8s", kind),
        String.format("%-16s", body.getString("deviceId", "-")),
        String.format("%-9s", body.getString("transport", "-")),
        body.getString("node", "-"),
        detail);
  }
}

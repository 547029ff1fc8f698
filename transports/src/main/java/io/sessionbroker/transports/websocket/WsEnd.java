package io.sessionbroker.transports.websocket;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.transports.codec.EndsByCode;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * How a WebSocket ends: a last text frame ({@code error}, {@code bye}) or none, then the close
 * frame with its code (RFC 6455 §7.4, {@link CloseCodes}) and reason text.
 *
 * @param lastFrame the last text frame, encoded, or null for none
 * @param reasonText the close frame's reason text, or null for none
 */
record WsEnd(String lastFrame, short closeCode, String reasonText) {

  /**
   * The end of each reason a session can end for, built once: a mass close ends every session with
   * the same {@code bye} and close code, and building and encoding the frame per close showed in
   * what an end allocated on its loop (issue 17; docs/benchmarks.md, "Cost of one session end,
   * tenth round"). Strings and a record: nothing in it can change.
   */
  private static final Map<CloseReason, WsEnd> GOODBYES =
      EndsByCode.of(
          CloseReason.class, reason -> new WsEnd(Frames.goodbye(reason), CloseCodes.of(reason)));

  /** The close frame's reason text names the last frame's {@code reason} or {@code code}. */
  WsEnd(JsonObject lastFrame, short closeCode) {
    this(
        lastFrame == null ? null : lastFrame.encode(),
        closeCode,
        lastFrame == null ? null : lastFrame.getString("reason", lastFrame.getString("code")));
  }

  /**
   * The end of a session the table closed for {@code reason}: {@link Frames#goodbye} (a {@code bye}
   * when the broker ended it) and {@link CloseCodes#of}; the same instance every time.
   */
  static WsEnd goodbye(CloseReason reason) {
    return GOODBYES.get(reason);
  }
}

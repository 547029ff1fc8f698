package io.sessionbroker.transports.websocket;

import io.vertx.core.json.JsonObject;

/**
 * How a WebSocket ends: a last text frame ({@code error}, {@code bye}) or none, then the close
 * frame with its code (RFC 6455 §7.4, {@link CloseCodes}) and reason text.
 *
 * @param reasonText the close frame's reason text, or null for none
 */
record WsEnd(JsonObject lastFrame, short closeCode, String reasonText) {

  /** The close frame's reason text names the last frame's {@code reason} or {@code code}. */
  WsEnd(JsonObject lastFrame, short closeCode) {
    this(
        lastFrame,
        closeCode,
        lastFrame == null ? null : lastFrame.getString("reason", lastFrame.getString("code")));
  }
}

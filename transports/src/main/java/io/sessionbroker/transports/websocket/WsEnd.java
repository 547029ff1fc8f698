package io.sessionbroker.transports.websocket;

import io.vertx.core.json.JsonObject;

/**
 * How a WebSocket ends: a last text frame ({@code error}, {@code bye}) or none, then the close
 * frame with its code (RFC 6455 §7.4, {@link CloseCodes}), whose reason text names the frame's
 * {@code reason} or {@code code}.
 */
record WsEnd(JsonObject lastFrame, short closeCode) {

  /** The close frame's reason text: what the last frame said, or nothing. */
  String reasonText() {
    return lastFrame == null ? null : lastFrame.getString("reason", lastFrame.getString("code"));
  }
}

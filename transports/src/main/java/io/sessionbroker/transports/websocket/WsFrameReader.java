package io.sessionbroker.transports.websocket;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;

/**
 * The frame layer of one WebSocket: reassembles text messages (RFC 6455 §5.4) under the size bound,
 * and turns every frame the protocol refuses into a violation with its close code (RFC 6455
 * §7.4.1): 1009 for a message over {@code maxFrameBytes}, 1003 for a binary frame, the broker's
 * protocol-error code for a malformed frame.
 *
 * <p>It reassembles itself rather than use Vert.x's {@code textMessageHandler}, because Vert.x
 * drops a message that overflows {@code maxWebSocketMessageSize} with only an exception and leaves
 * the socket open.
 */
final class WsFrameReader {

  /** What the reader reports; called on the socket's event loop. */
  interface Listener {

    /** A complete text message, at most {@code maxFrameBytes} long. */
    void onMessage(Buffer message);

    /** A protocol pong: proof of life. */
    void onPong();

    /** A frame the protocol refuses; the connection must end with {@code closeCode}. */
    void onViolation(FrameException violation, short closeCode);
  }

  private final int maxBytes;
  private final Listener listener;

  /** The fragments of the text message being received, or null between messages. */
  private Buffer message;

  private WsFrameReader(int maxBytes, Listener listener) {
    this.maxBytes = maxBytes;
    this.listener = listener;
  }

  /** Installs the frame, pong and exception handlers of {@code ws}. */
  static void attach(ServerWebSocket ws, int maxBytes, Listener listener) {
    WsFrameReader reader = new WsFrameReader(maxBytes, listener);
    ws.frameHandler(reader::onFrame);
    ws.pongHandler(payload -> listener.onPong());
    ws.exceptionHandler(reader::onError);
  }

  void onFrame(WebSocketFrame frame) {
    if (frame.isBinary() || frame.isContinuation() && message == null) {
      listener.onViolation(
          new FrameException(
              Frames.BAD_FRAME, "binary frames are not accepted: send JSON text frames"),
          CloseCodes.UNSUPPORTED_DATA);
    } else if (frame.isText() || frame.isContinuation()) {
      message =
          message == null ? frame.binaryData().copy() : message.appendBuffer(frame.binaryData());
      if (message.length() > maxBytes) {
        message = null;
        listener.onViolation(tooLarge(), CloseCodes.MESSAGE_TOO_BIG);
      } else if (frame.isFinal()) {
        Buffer complete = message;
        message = null;
        listener.onMessage(complete);
      }
    }
  }

  /**
   * Netty refuses a single frame over the bound, or a malformed one (RFC 6455 §5.2), before it is a
   * frame.
   */
  private void onError(Throwable e) {
    if (e instanceof CorruptedWebSocketFrameException corrupted) {
      if (corrupted.closeStatus().code() == CloseCodes.MESSAGE_TOO_BIG) {
        listener.onViolation(tooLarge(), CloseCodes.MESSAGE_TOO_BIG);
      } else {
        listener.onViolation(
            new FrameException(Frames.BAD_FRAME, e.getMessage()), CloseCodes.PROTOCOL_ERROR);
      }
    }
  }

  private FrameException tooLarge() {
    return new FrameException(
        Frames.FRAME_TOO_LARGE, "a frame may have at most " + maxBytes + " bytes");
  }
}

package io.sessionbroker.transports.websocket;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.Handler;
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
final class WsFrameReader implements Handler<WebSocketFrame> {

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

  /**
   * Installs the frame, pong and exception handlers of {@code ws}. Call it from the WebSocket
   * handler, in the event-loop task of the upgrade, before any frame is read.
   */
  static void attach(ServerWebSocket ws, int maxBytes, Listener listener) {
    WsFrameReader reader = new WsFrameReader(maxBytes, listener);
    ws.frameHandler(reader); // the reader itself, not a method reference held beside it (issue 17)
    ws.pongHandler(payload -> listener.onPong());
    ws.exceptionHandler(reader::onError);
  }

  /** Each frame of the WebSocket, in order. */
  @Override
  public void handle(WebSocketFrame frame) {
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
   * Netty refuses, before it is a frame, what RFC 6455 forbids, each with the close code the RFC
   * names (§7.4.1), which the connection then ends with: its frame decoder 1002 for a protocol
   * violation (an unmasked frame §5.1, RSV bits without an extension §5.2, a reserved opcode, a
   * fragmented control frame or one over 125 bytes §5.5, a continuation without a message or a new
   * message inside one §5.4, a close frame with a 1-byte body or an invalid code §5.5.1/§7.4), 1009
   * for a frame over the bound, 1007 for a close reason that is not UTF-8; the UTF-8 validator
   * ({@link FrameGate#install}) 1007. Vert.x then closes the TCP connection right after this
   * handler has sent the close frame.
   */
  private void onError(Throwable e) {
    if (e instanceof CorruptedWebSocketFrameException corrupted) {
      short code = (short) corrupted.closeStatus().code();
      listener.onViolation(
          code == CloseCodes.MESSAGE_TOO_BIG
              ? tooLarge()
              : new FrameException(Frames.BAD_FRAME, e.getMessage()),
          code);
    }
  }

  private FrameException tooLarge() {
    return new FrameException(
        Frames.FRAME_TOO_LARGE, "a frame may have at most " + maxBytes + " bytes");
  }
}

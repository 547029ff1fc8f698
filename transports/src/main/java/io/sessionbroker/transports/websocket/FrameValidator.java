package io.sessionbroker.transports.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Netty's UTF-8 validator (RFC 6455 §8.1: 1007), and the two close frame checks Netty's decoder
 * leaves out:
 *
 * <ul>
 *   <li>a status code above 4999. RFC 6455 §7.4.2 assigns no range there (0–999 unused, 1000–2999
 *       the protocol's, 3000–3999 registered, 4000–4999 private use); Netty's decoder refuses the
 *       unused and reserved codes below 3000 with 1002, but takes 5000 and above as valid (it reads
 *       the code as a signed short), and Vert.x echoed such a code back to the device. Here it
 *       fails the connection with 1002, as every other code the RFC does not define does;
 *   <li>a reason that ends inside a UTF-8 sequence: Netty's decoder checks the reason's bytes but
 *       not that the last character is whole, and Vert.x echoed the reason with a replacement
 *       character. Here it fails with 1007, as a reason that is not UTF-8 elsewhere does (§5.5.1,
 *       §8.1).
 * </ul>
 *
 * <p>The reason is checked first, as Netty's decoder checks it before this handler sees the code.
 * Both found by WebSocketFuzzIT.
 *
 * <p>A subclass, not a handler of its own: the validator is in every WebSocket's pipeline already
 * ({@link FrameGate#install}), and a second handler would cost each connection a pipeline context
 * (issue 17).
 */
final class FrameValidator extends Utf8FrameValidator {

  /** The highest status code RFC 6455 §7.4.2 assigns a range to (private use: 4000–4999). */
  static final int HIGHEST_CODE = 4999;

  FrameValidator() {
    super(false); // the transport sends the close frame (WsConnection), not the validator
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof CloseWebSocketFrame close && close.content().readableBytes() >= 2) {
      ByteBuf body = close.content();
      int at = body.readerIndex();
      if (!ByteBufUtil.isText(body, at + 2, body.readableBytes() - 2, StandardCharsets.UTF_8)) {
        close.release();
        // thrown as Netty's validators throw: the pipeline hands it on to Vert.x's handler
        throw new CorruptedWebSocketFrameException(
            WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "close reason is not UTF-8");
      }
      if (body.getUnsignedShort(at) > HIGHEST_CODE) {
        close.release();
        throw new CorruptedWebSocketFrameException(
            WebSocketCloseStatus.PROTOCOL_ERROR,
            "close status code above " + HIGHEST_CODE + " (RFC 6455 §7.4.2)");
      }
    }
    super.channelRead(ctx, msg);
  }
}

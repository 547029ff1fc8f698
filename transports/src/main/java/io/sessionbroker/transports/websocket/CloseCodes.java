package io.sessionbroker.transports.websocket;

import io.sessionbroker.cluster.CloseReason;

/**
 * The WebSocket close codes the broker sends (RFC 6455 §7.4). Standard codes where one fits; the
 * private-use range 4000–4999 (RFC 6455 §7.4.2) for the broker's own reasons, so a browser's {@code
 * CloseEvent.code} tells the device why without parsing the preceding {@code bye} frame.
 */
public final class CloseCodes {

  /** §7.4.1: normal closure — the device said {@code bye}. */
  public static final short NORMAL = 1000;

  /** §7.4.1: going away — the broker node is shutting down ({@code SHUTDOWN}). */
  public static final short GOING_AWAY = 1001;

  /** §7.4.1: abnormal closure — never sent; what a socket dropped without a close frame reports. */
  public static final short ABNORMAL = 1006;

  /**
   * §7.4.1: protocol error — a frame RFC 6455 forbids (an unmasked frame, RSV bits, a reserved
   * opcode, a fragmented or oversized control frame, a continuation out of place, a malformed close
   * frame): the connection is failed (§7.1.7), before or after the hello.
   */
  public static final short WS_PROTOCOL_ERROR = 1002;

  /** §7.4.1: unsupported data — a binary frame; the protocol is JSON text only. */
  public static final short UNSUPPORTED_DATA = 1003;

  /**
   * §7.4.1: invalid frame payload data — a text message or a close frame's reason that is not UTF-8
   * (§8.1): the connection is failed, before or after the hello.
   */
  public static final short INVALID_PAYLOAD = 1007;

  /**
   * §7.4.1: policy violation — the handshake was rejected (bad hello, failed authentication, too
   * late).
   */
  public static final short POLICY_VIOLATION = 1008;

  /** §7.4.1: message too big — a text message over {@code maxFrameBytes}. */
  public static final short MESSAGE_TOO_BIG = 1009;

  /** §7.4.1: internal error — the broker could not open the session. */
  public static final short INTERNAL_ERROR = 1011;

  /** Private use: no liveness signal within the session's timeout ({@code TIMEOUT}). */
  public static final short TIMEOUT = 4000;

  /** Private use: the same device opened a newer session ({@code TAKEN_OVER}). */
  public static final short TAKEN_OVER = 4001;

  /** Private use: an administrator ended the session ({@code KICKED}). */
  public static final short KICKED = 4002;

  /**
   * Private use: a malformed or out-of-order frame after the session opened ({@code
   * PROTOCOL_ERROR}).
   */
  public static final short PROTOCOL_ERROR = 4003;

  private CloseCodes() {}

  /**
   * Whether {@code code} fails the WebSocket connection at the frame layer (RFC 6455 §7.1.7): the
   * close frame is all the device gets, no {@code error} frame before it.
   */
  public static boolean failsConnection(short code) {
    return code == WS_PROTOCOL_ERROR || code == INVALID_PAYLOAD;
  }

  /** The code that ends a session closed for {@code reason}. */
  public static short of(CloseReason reason) {
    return switch (reason) {
      case CLIENT_CLOSED, CONNECTION_LOST -> NORMAL;
      case TIMEOUT -> TIMEOUT;
      case TAKEN_OVER -> TAKEN_OVER;
      case KICKED -> KICKED;
      case SHUTDOWN, NODE_LOST -> GOING_AWAY;
      case PROTOCOL_ERROR -> PROTOCOL_ERROR;
    };
  }
}

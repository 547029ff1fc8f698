package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Liveness;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * What UDP adds to the shared frames of {@link Frames} (DESIGN §6, {@code docs/protocol.md}): the
 * {@code ticket} of the welcome, the {@code device} and {@code ticket} every later datagram
 * carries, the {@code nonce} that lets a repeated hello be recognised (the welcome echoes it, so a
 * device can tell the answer to this hello from a late answer to an earlier one), and the session
 * id in the broker's {@code bye} (a device that has just said hello again can tell that a {@code
 * bye} is for its previous session).
 */
final class UdpFrames {

  static final String DEVICE = "device";
  static final String TICKET = "ticket";
  static final String NONCE = "nonce";
  static final String SESSION = "session";

  /** Longest accepted nonce, in characters. */
  static final int MAX_NONCE_LENGTH = 64;

  private static final String SAMPLE_SESSION = "0".repeat(16);
  private static final String SAMPLE_TICKET = "A".repeat(Tickets.TEXT_LENGTH);

  private UdpFrames() {}

  /**
   * The welcome of a UDP session: the shared one plus the ticket and the hello's nonce, if it had
   * one.
   */
  static Buffer welcome(Session session, String ticket, String nonce) {
    return withNonce(Frames.welcome(session).put(TICKET, ticket), nonce).toBuffer();
  }

  /**
   * The length in bytes of the welcome for these liveness terms and nonce. Every such welcome has
   * it: the session id is always 16 hex digits and the ticket always 22 base64url characters.
   */
  static int welcomeLength(Liveness liveness, String nonce) {
    JsonObject sample =
        new JsonObject()
            .put("type", Frames.WELCOME)
            .put(SESSION, SAMPLE_SESSION)
            .put("heartbeat", Frames.seconds(liveness.heartbeatMs()))
            .put("timeout", Frames.seconds(liveness.timeoutMs()))
            .put(TICKET, SAMPLE_TICKET);
    return withNonce(sample, nonce).toBuffer().length();
  }

  private static JsonObject withNonce(JsonObject welcome, String nonce) {
    return nonce == null ? welcome : welcome.put(NONCE, nonce);
  }

  static Buffer bye(Session session, CloseReason reason) {
    return Frames.bye(reason).put(SESSION, session.sessionId()).toBuffer();
  }

  static Buffer error(FrameException e) {
    return Frames.error(e).toBuffer();
  }

  /** The {@code device} a datagram claims, or null if it has none that could be a device id. */
  static String device(JsonObject frame) {
    return frame.getValue(DEVICE) instanceof String device ? device : null;
  }

  static String ticket(JsonObject frame) {
    return frame.getValue(TICKET) instanceof String ticket ? ticket : null;
  }

  /** The hello's nonce: absent (null) or a string of 1 to 64 characters. */
  static String nonce(JsonObject hello) throws FrameException {
    Object nonce = hello.getValue(NONCE);
    if (nonce == null
        || nonce instanceof String text && !text.isEmpty() && text.length() <= MAX_NONCE_LENGTH) {
      return (String) nonce;
    }
    throw new FrameException(
        Frames.BAD_HELLO, "\"nonce\" must be a string of 1 to " + MAX_NONCE_LENGTH + " characters");
  }
}

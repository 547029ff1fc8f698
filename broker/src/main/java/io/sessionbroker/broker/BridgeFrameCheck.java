package io.sessionbroker.broker;

import io.netty.buffer.ByteBuf;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Decides, for one bridge connection, whether each whole frame may go on to
 * vertx-tcp-eventbus-bridge: it must be UTF-8 JSON (RFC 8259 §8.1), an object, with a {@code type}
 * the bridge knows and every field the bridge reads of the JSON type it reads it as. The bridge
 * reads them with typed getters and throws on anything else (a {@code ClassCastException} that
 * leaves its parser in the middle of the frame), so each such frame is answered here instead.
 *
 * <p>A second {@code register} of an address the connection is already subscribed to is dropped:
 * the bridge would register a second consumer and forget the first, which then outlives the
 * connection, so a client repeating it could grow the broker's consumers without bound.
 *
 * <p>What each gets (docs/events.md, "What bad input gets"): a frame that cannot be read as a
 * bridge frame ({@link #INVALID_JSON}, {@link #FRAME_TOO_LARGE}) ends the connection; a readable
 * frame the bridge cannot act on ({@link #UNKNOWN_TYPE}, {@link #MISSING_ADDRESS}, {@link
 * #INVALID_FRAME}) is answered and the connection goes on, as the bridge itself does for {@code
 * access_denied}.
 */
final class BridgeFrameCheck {

  /** A length prefix above {@code bridge.maxFrameBytes}; the connection closes. */
  static final String FRAME_TOO_LARGE = "frame_too_large";

  /** Not UTF-8, not JSON, or not a JSON object; the connection closes. */
  static final String INVALID_JSON = "invalid_json";

  /** A {@code type} other than send, publish, register, unregister, ping (the bridge's word). */
  static final String UNKNOWN_TYPE = "unknown_type";

  /** No string {@code address} where one is needed (the bridge's word). */
  static final String MISSING_ADDRESS = "missing_address";

  /** A field the bridge reads is of the wrong JSON type, or an unsupported header. */
  static final String INVALID_FRAME = "invalid_frame";

  /**
   * With {@code http.adminToken} set: a frame without {@code "headers":{"authorization":"Bearer
   * <token>"}}, or with a wrong token. Answered; the connection goes on.
   */
  static final String UNAUTHORIZED = "unauthorized";

  private static final Set<String> TYPES = Set.of("send", "publish", "register", "unregister");

  /** What the bridge answers: the {@code err} frame's message, and whether it then closes. */
  record Verdict(String message, boolean close) {}

  private static final Verdict NOT_JSON = new Verdict(INVALID_JSON, true);

  /** Drop the frame without an answer. */
  static final Verdict DROP = new Verdict(null, false);

  private final Predicate<String> subscribable;
  private final byte[] bearer;

  /** The addresses this connection has registered (at most the subscribable ones). */
  private final Set<String> registered = new HashSet<>();

  /**
   * @param subscribable the addresses the bridge lets a client register
   * @param adminToken the token every frame must carry, or empty for none
   */
  BridgeFrameCheck(Predicate<String> subscribable, String adminToken) {
    this.subscribable = subscribable;
    this.bearer =
        adminToken.isEmpty() ? null : ("Bearer " + adminToken).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Null when {@code payload} (the frame without its length prefix) may go on to the bridge; else
   * what to answer ({@link #DROP}: nothing).
   */
  Verdict check(ByteBuf payload) {
    Object value;
    try {
      // Strict: the bridge would decode malformed UTF-8 to U+FFFD and pass it on.
      String text = StandardCharsets.UTF_8.newDecoder().decode(payload.nioBuffer()).toString();
      value = Json.decodeValue(text);
    } catch (CharacterCodingException | DecodeException | IllegalStateException e) {
      return NOT_JSON;
    }
    if (!(value instanceof JsonObject frame)) {
      return NOT_JSON;
    }
    Object type = frame.getValue("type");
    if ("ping".equals(type)) {
      // The bridge reads the headers of every frame, a ping's too: a number or a string there
      // threw and left its parser in the middle of the frame (BridgeFuzzIT, twenty-sixth round).
      return fieldsReadable(frame) ? null : new Verdict(INVALID_FRAME, false);
    }
    if (!(type instanceof String name) || !TYPES.contains(name)) {
      return new Verdict(UNKNOWN_TYPE, false);
    }
    if (!(frame.getValue("address") instanceof String address)) {
      return new Verdict(MISSING_ADDRESS, false);
    }
    if (!fieldsReadable(frame)) {
      return new Verdict(INVALID_FRAME, false);
    }
    if (bearer != null && !authorized(frame)) {
      return new Verdict(UNAUTHORIZED, false);
    }
    if (name.equals("register") && subscribable.test(address) && !registered.add(address)) {
      return DROP;
    }
    if (name.equals("unregister")) {
      registered.remove(address);
    }
    return null;
  }

  /** The frame's {@code authorization} header is the admin token; compared in constant time. */
  private boolean authorized(JsonObject frame) {
    JsonObject headers = frame.getJsonObject("headers");
    String presented = headers == null ? null : headers.getString("authorization");
    return presented != null
        && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), bearer);
  }

  /**
   * The fields the bridge reads with typed getters, each of the type it reads it as (the SockJS
   * bridge's too, {@link EventBridge#checkSockJsFrame}).
   */
  static boolean fieldsReadable(JsonObject frame) {
    if (!optional(frame.getValue("replyAddress"), String.class)
        || !optional(frame.getValue("failureCode"), Number.class)
        || !optional(frame.getValue("message"), String.class)) {
      return false;
    }
    Object headers = frame.getValue("headers");
    if (headers == null) {
      return true;
    }
    if (!(headers instanceof JsonObject map)) {
      return false;
    }
    for (Map.Entry<String, Object> header : map) {
      Object value = header.getValue();
      boolean readable =
          switch (header.getKey()) {
            case "timeout" -> value instanceof Number;
            case "localOnly" -> value instanceof Boolean;
            // a codec the node does not have makes the event bus throw; JSON bodies need none
            case "codecName" -> false;
            default -> value instanceof String;
          };
      if (!readable) {
        return false;
      }
    }
    return true;
  }

  private static boolean optional(Object value, Class<?> type) {
    return value == null || type.isInstance(value);
  }
}

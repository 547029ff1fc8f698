package io.sessionbroker.transports.codec;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.CommandReply;
import io.sessionbroker.cluster.Session;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * The device wire protocol shared by raw TCP, UDP and WebSocket (DESIGN §6, {@code
 * docs/protocol.md}): one JSON object per line, datagram or text frame. Field names are a public
 * contract.
 */
public final class Frames {

  public static final String HELLO = "hello";
  public static final String WELCOME = "welcome";
  public static final String PING = "ping";
  public static final String PONG = "pong";
  public static final String DATA = "data";
  public static final String BYE = "bye";
  public static final String ERROR = "error";
  public static final String COMMAND = "command";
  public static final String REPLY = "reply";

  /** Not JSON, or not a JSON object with a string {@code type}. */
  public static final String BAD_FRAME = "bad_frame";

  /** A frame over the configured maximum size. */
  public static final String FRAME_TOO_LARGE = "frame_too_large";

  /**
   * A frame out of order (anything before {@code hello}, a second {@code hello}) or of unknown
   * type.
   */
  public static final String PROTOCOL_ERROR = "protocol_error";

  /** A {@code hello} without a usable {@code device} or {@code heartbeat}. */
  public static final String BAD_HELLO = "bad_hello";

  /** No {@code hello} within the handshake deadline. */
  public static final String HANDSHAKE_TIMEOUT = "handshake_timeout";

  /** The device's token does not authenticate it. */
  public static final String AUTH_FAILED = "auth_failed";

  /**
   * This node cannot open a session now (it is cut off from its cluster): the device should try
   * another.
   */
  public static final String UNAVAILABLE = "unavailable";

  /**
   * The device is banned for flapping: it ended too many sessions too fast (docs/security.md,
   * "Limits and flapping"); the same as {@code DeviceBanned.CODE}.
   */
  public static final String FLAPPING = "flapping";

  /** What the device is told with {@link #FLAPPING}, on every transport. */
  public static final String FLAPPING_MESSAGE = "too many disconnects, try again later";

  /** What the device is told with {@link #UNAVAILABLE}, on every transport. */
  public static final String UNAVAILABLE_MESSAGE = "the session could not be opened, try again";

  /** Longest accepted device id, in characters. */
  public static final int MAX_DEVICE_ID_LENGTH = 128;

  private static final String PONG_TEXT = "{\"type\":\"pong\"}";
  private static final Buffer PONG_FRAME = Buffer.buffer(PONG_TEXT);

  private Frames() {}

  /**
   * Parses one frame; its {@code type} is a non-empty string. The bytes must be UTF-8 (RFC 3629
   * §3), decoded strictly here: Jackson's byte parser lets an overlong form or a code point beyond
   * U+10FFFF through.
   */
  public static JsonObject parse(Buffer bytes) throws FrameException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.getBytes())).toString();
    } catch (CharacterCodingException e) {
      throw new FrameException(BAD_FRAME, "frame is not valid UTF-8");
    }
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException | IllegalStateException e) {
      throw new FrameException(BAD_FRAME, "frame is not valid JSON");
    }
    if (!(value instanceof JsonObject frame)
        || !(frame.getValue("type") instanceof String type)
        || type.isEmpty()) {
      throw new FrameException(BAD_FRAME, "frame must be a JSON object with a string \"type\"");
    }
    return frame;
  }

  /** The frame's type; call only on a frame from {@link #parse}. */
  public static String type(JsonObject frame) {
    return frame.getString("type");
  }

  /**
   * What a valid {@code hello} asks for.
   *
   * @param deviceId null when the hello names no device: a connection whose client certificate
   *     names one may leave it out ({@link #identified})
   * @param user with {@code password}: a user of the password file
   */
  public record Hello(
      String deviceId, String token, long heartbeatMs, String user, String password) {

    public Hello(String deviceId, String token, long heartbeatMs) {
      this(deviceId, token, heartbeatMs, null, null);
    }

    /** What to check as the password: the {@code password} if there is one, else the token. */
    public String credential() {
      return password != null ? password : token;
    }

    /**
     * This hello with {@code certified} (the device id of the connection's client certificate, or
     * null) as its device when it names none.
     *
     * @throws FrameException when it names none and there is no certificate to name one
     */
    public Hello identified(String certified) throws FrameException {
      if (deviceId != null) {
        return this;
      }
      if (certified == null) {
        throw new FrameException(BAD_HELLO, NEEDS_DEVICE);
      }
      return new Hello(certified, token, heartbeatMs, user, password);
    }
  }

  private static final String NEEDS_DEVICE =
      "hello needs a \"device\" string of 1 to " + MAX_DEVICE_ID_LENGTH + " characters";

  /**
   * Reads a {@code hello}: {@code device} is required (1–128 characters) unless {@code
   * deviceOptional} (a connection with a client certificate may leave it out: see {@link
   * Hello#identified}), {@code heartbeat} in seconds is optional (absent: the broker's default; 0:
   * no application heartbeat), {@code token}, {@code user} and {@code password} are optional
   * strings.
   */
  public static Hello hello(JsonObject frame, boolean deviceOptional) throws FrameException {
    Object device = frame.getValue("device");
    if (!(device == null && deviceOptional)
        && (!(device instanceof String id) || id.isBlank() || id.length() > MAX_DEVICE_ID_LENGTH)) {
      throw new FrameException(BAD_HELLO, NEEDS_DEVICE);
    }
    Object heartbeat = frame.getValue("heartbeat");
    long heartbeatMs;
    if (heartbeat == null) {
      heartbeatMs = -1;
    } else if (heartbeat instanceof Number seconds
        && seconds.doubleValue() >= 0
        && seconds.doubleValue() <= 86_400) {
      heartbeatMs = Math.round(seconds.doubleValue() * 1000);
    } else {
      throw new FrameException(
          BAD_HELLO, "\"heartbeat\" must be a number of seconds from 0 to 86400");
    }
    return new Hello(
        (String) device,
        optionalString(frame, "token"),
        heartbeatMs,
        optionalString(frame, "user"),
        optionalString(frame, "password"));
  }

  /** {@link #hello(JsonObject, boolean)} with a required {@code device}. */
  public static Hello hello(JsonObject frame) throws FrameException {
    return hello(frame, false);
  }

  private static String optionalString(JsonObject frame, String field) throws FrameException {
    Object value = frame.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw new FrameException(BAD_HELLO, "\"" + field + "\" must be a string");
    }
    return (String) value;
  }

  /** The status object of a {@code ping}, or null; anything but an object is a protocol error. */
  public static JsonObject status(JsonObject ping) throws FrameException {
    Object status = ping.getValue("status");
    if (status == null || status instanceof JsonObject) {
      return (JsonObject) status;
    }
    throw new FrameException(PROTOCOL_ERROR, "\"status\" must be a JSON object");
  }

  /**
   * Reads a device's {@code reply} to a command: {@code id} (the command's, a string of 1–64
   * characters), {@code status} (a whole number 100–599), {@code payload} (any JSON, optional).
   */
  public static Reply reply(JsonObject frame) throws FrameException {
    if (!(frame.getValue("id") instanceof String text) || text.isEmpty() || text.length() > 64) {
      throw new FrameException(PROTOCOL_ERROR, "a reply needs the command's \"id\"");
    }
    if (!(frame.getValue("status") instanceof Number status)
        || status.doubleValue() != Math.rint(status.doubleValue())
        || status.intValue() < 100
        || status.intValue() > 599) {
      throw new FrameException(PROTOCOL_ERROR, "a reply needs a \"status\" from 100 to 599");
    }
    return new Reply(text, new CommandReply(status.intValue(), frame.getValue("payload")));
  }

  /** A device's answer to the command {@code id}. */
  public record Reply(String id, CommandReply reply) {}

  public static JsonObject welcome(Session session) {
    return new JsonObject()
        .put("type", WELCOME)
        .put("session", session.sessionId())
        .put("heartbeat", seconds(session.heartbeatMs()))
        .put("timeout", seconds(session.timeoutMs()));
  }

  public static Buffer pong() {
    return PONG_FRAME;
  }

  /** {@link #pong()} as text, for a WebSocket's text message: no decoding per heartbeat. */
  public static String pongText() {
    return PONG_TEXT;
  }

  /** The broker ends the session: tells the device why. */
  public static JsonObject bye(CloseReason reason) {
    return new JsonObject().put("type", BYE).put("reason", reason.name());
  }

  /**
   * The goodbye of the JSON wires for a session the table closed for {@code reason}: a {@code bye}
   * saying why when the broker ended it, else nothing (the device ended it, or is gone).
   */
  public static JsonObject goodbye(CloseReason reason) {
    return reason.byBroker() ? bye(reason) : null;
  }

  public static JsonObject error(String code, String message) {
    return new JsonObject().put("type", ERROR).put("code", code).put("message", message);
  }

  public static JsonObject error(FrameException e) {
    return error(e.code(), e.getMessage());
  }

  /** Milliseconds as seconds on the wire: an integer when whole (30), else a decimal (1.5). */
  public static Number seconds(int millis) {
    return millis % 1000 == 0 ? (Number) (millis / 1000) : (Number) (millis / 1000.0);
  }
}

package io.sessionbroker.broker;

import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.CommandOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * A {@code devices.command} request, checked: {@code {"deviceId","name","payload","timeoutMs",
 * "oneWay"}} (docs/events.md). What does not fit is a {@link CommandFailure} with 400 (bad request)
 * or 413 (payload too large), before anything is routed.
 */
record CommandRequest(
    String deviceId, String name, Object payload, long timeoutMs, boolean oneWay) {

  /** Longest command name; it is an MQTT topic level, and a device parses it. */
  static final int MAX_NAME_LENGTH = 64;

  /** Longest device id, as on every transport. */
  static final int MAX_DEVICE_ID_LENGTH = 128;

  static CommandRequest parse(Object body, CommandOptions options) {
    if (!(body instanceof JsonObject json)) {
      throw bad("the request must be a JSON object");
    }
    String deviceId = text(json, "deviceId", MAX_DEVICE_ID_LENGTH);
    String name = text(json, "name", MAX_NAME_LENGTH);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      // An MQTT topic level: no separator, no wildcard [MQTT-4.7.1-1], no NUL [MQTT-1.5.4-2].
      if (c == '/' || c == '+' || c == '#' || c < 0x20 || c == 0x7f) {
        throw bad("\"name\" must not contain '/', '+', '#' or control characters");
      }
    }
    Object payload = json.getValue("payload");
    int bytes = Json.encode(payload).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > options.maxPayloadBytes()) {
      throw new CommandFailure(
          CommandFailure.TOO_LARGE,
          "payload of "
              + bytes
              + " bytes is larger than commands.maxPayloadBytes="
              + options.maxPayloadBytes());
    }
    Object timeout = json.getValue("timeoutMs");
    long timeoutMs = options.defaultTimeoutMs();
    if (timeout != null) {
      if (!(timeout instanceof Number number)
          || number.doubleValue() != Math.rint(number.doubleValue())
          || number.doubleValue() < 1
          || number.doubleValue() > options.maxTimeoutMs()) {
        throw bad("\"timeoutMs\" must be a whole number 1.." + options.maxTimeoutMs());
      }
      timeoutMs = number.longValue();
    }
    Object oneWay = json.getValue("oneWay");
    if (oneWay != null && !(oneWay instanceof Boolean)) {
      throw bad("\"oneWay\" must be true or false");
    }
    return new CommandRequest(deviceId, name, payload, timeoutMs, Boolean.TRUE.equals(oneWay));
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("deviceId", deviceId)
        .put("name", name)
        .put("payload", payload)
        .put("timeoutMs", timeoutMs)
        .put("oneWay", oneWay);
  }

  private static String text(JsonObject json, String field, int maxLength) {
    Object value = json.getValue(field);
    if (!(value instanceof String text) || text.isEmpty() || text.length() > maxLength) {
      throw bad("\"" + field + "\" must be a string of 1.." + maxLength + " characters");
    }
    return text;
  }

  private static CommandFailure bad(String message) {
    return new CommandFailure(CommandFailure.BAD_REQUEST, message);
  }
}

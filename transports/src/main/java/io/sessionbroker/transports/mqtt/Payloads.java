package io.sessionbroker.transports.mqtt;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * How an MQTT payload (bytes) appears in JSON events ({@code devices.inbound}, the will in {@code
 * sessions.closed}): a JSON document as its value, so MQTT and the JSON transports look alike;
 * other UTF-8 text as a string; anything else as a {@link Buffer}, which Vert.x JSON renders as
 * base64.
 */
final class Payloads {

  private Payloads() {}

  static Object toEventValue(Buffer payload) {
    if (payload == null || payload.length() == 0) {
      return "";
    }
    try {
      return Json.decodeValue(payload);
    } catch (DecodeException e) {
      // not JSON: fall through
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .decode(ByteBuffer.wrap(payload.getBytes()))
          .toString();
    } catch (CharacterCodingException e) {
      return payload;
    }
  }
}

package io.sessionbroker.testkit.fuzz;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mutations of the JSON frames of the device wire protocol and of the bridge: values of the wrong
 * type or size, huge numbers, deep nesting, invalid UTF-8, lines that run up to and past the frame
 * limit, another frame type. A packet that is not a JSON object (after an earlier mutation) is left
 * as it is. A packet may end in a delimiter (the raw TCP wire's newline), which is kept.
 */
public final class JsonMutations {

  /** Values that decoders and field readers get wrong: types, bounds, sizes, encodings. */
  private static final String[] INTERESTING_VALUES = {
    "null",
    "true",
    "0",
    "-1",
    "0.5",
    "1e999",
    "-1e999",
    "123456789012345678901234567890123456789",
    "1.7976931348623157E309",
    "4.9E-325",
    "86401",
    "2147483648",
    "-9223372036854775809",
    "\"\"",
    "\" \"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udfff\\ud800\"",
    "\"\\\"\"",
    "[]",
    "{}",
    "[null]",
    "{\"battery\":80}",
    "\"ping\"",
    "\"hello\"",
    "NaN",
    "Infinity",
    "'single'",
    "01",
    "-",
    "\"unterminated",
  };

  /** Byte sequences that are not UTF-8: a lone continuation, an overlong '/', a surrogate, 0xFF. */
  private static final byte[][] INVALID_UTF8 = {
    {(byte) 0x80},
    {(byte) 0xC0, (byte) 0xAF},
    {(byte) 0xC3, 0x28},
    {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
    {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
    {(byte) 0xFF},
    {(byte) 0xE2, (byte) 0x82},
  };

  private JsonMutations() {}

  /**
   * Adds the JSON mutations to {@code mutator}.
   *
   * @param delimiter what ends each packet on this wire and must stay at its end ("" for none)
   * @param maxFrameBytes the wire's frame limit, for frames that run up to it and past it
   * @param types frame types of the wire, for frames that claim another type
   */
  public static Mutator addTo(
      Mutator mutator, String delimiter, int maxFrameBytes, String... types) {
    return mutator
        .add(
            "json-value",
            8,
            (packets, random) ->
                onObject(packets, random, delimiter, (fields, r) -> replaceValue(fields, r)))
        .add(
            "json-type",
            3,
            (packets, random) ->
                onObject(
                    packets,
                    random,
                    delimiter,
                    (fields, r) ->
                        fields.set(
                            indexOf(fields, "type", r),
                            field(
                                "type",
                                r.nextInt(4) == 0
                                    ? INTERESTING_VALUES[r.nextInt(INTERESTING_VALUES.length)]
                                    : Json.encode(types[r.nextInt(types.length)])))))
        .add(
            "json-drop-field",
            2,
            (packets, random) ->
                onObject(
                    packets,
                    random,
                    delimiter,
                    (fields, r) -> {
                      if (!fields.isEmpty()) {
                        fields.remove(r.nextInt(fields.size()));
                      }
                    }))
        .add(
            "json-duplicate-field",
            1,
            (packets, random) ->
                onObject(
                    packets,
                    random,
                    delimiter,
                    (fields, r) -> {
                      if (!fields.isEmpty()) {
                        String[] field = fields.get(r.nextInt(fields.size()));
                        fields.add(
                            r.nextInt(fields.size() + 1),
                            field(
                                Json.decodeValue(field[0]).toString(),
                                INTERESTING_VALUES[r.nextInt(INTERESTING_VALUES.length)]));
                      }
                    }))
        .add(
            "json-deep",
            2,
            (packets, random) ->
                onObject(
                    packets,
                    random,
                    delimiter,
                    (fields, r) ->
                        fields.add(
                            field(r.nextBoolean() ? "status" : "payload", deep(r, maxFrameBytes)))))
        .add(
            "json-long",
            2,
            (packets, random) ->
                onObject(
                    packets,
                    random,
                    delimiter,
                    (fields, r) -> {
                      int length = maxFrameBytes - 64 + r.nextInt(128);
                      fields.add(
                          field(
                              r.nextBoolean() ? "pad" : "device",
                              "\"" + "x".repeat(Math.max(0, length)) + "\""));
                    }))
        .add("invalid-utf8", 3, (packets, random) -> invalidUtf8(packets, random))
        .add(
            "not-an-object",
            1,
            (packets, random) -> {
              int index = Mutator.somePacket(packets, random);
              if (index >= 0) {
                String value = INTERESTING_VALUES[random.nextInt(INTERESTING_VALUES.length)];
                packets.set(index, (value + delimiter).getBytes(StandardCharsets.UTF_8));
              }
              return packets;
            });
  }

  /** A change to the fields of one JSON object, kept as encoded key and raw value text. */
  private interface FieldChange {
    void apply(List<String[]> fields, Random random);
  }

  private static List<byte[]> onObject(
      List<byte[]> packets, Random random, String delimiter, FieldChange change) {
    int index = Mutator.somePacket(packets, random);
    if (index < 0) {
      return packets;
    }
    String text = new String(packets.get(index), StandardCharsets.UTF_8);
    String suffix = !delimiter.isEmpty() && text.endsWith(delimiter) ? delimiter : "";
    JsonObject object;
    try {
      object = new JsonObject(text.substring(0, text.length() - suffix.length()));
    } catch (DecodeException | ClassCastException e) {
      return packets;
    }
    List<String[]> fields = new ArrayList<>();
    for (Map.Entry<String, Object> entry : object) {
      fields.add(field(entry.getKey(), Json.encode(entry.getValue())));
    }
    change.apply(fields, random);
    StringBuilder rebuilt = new StringBuilder("{");
    for (int i = 0; i < fields.size(); i++) {
      rebuilt
          .append(i == 0 ? "" : ",")
          .append(fields.get(i)[0])
          .append(':')
          .append(fields.get(i)[1]);
    }
    packets.set(index, (rebuilt.append('}') + suffix).getBytes(StandardCharsets.UTF_8));
    return packets;
  }

  private static String[] field(String key, String rawValue) {
    return new String[] {Json.encode(key), rawValue};
  }

  private static int indexOf(List<String[]> fields, String key, Random random) {
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i)[0].equals(Json.encode(key))) {
        return i;
      }
    }
    fields.add(field(key, "null"));
    return fields.size() - 1;
  }

  private static void replaceValue(List<String[]> fields, Random random) {
    if (fields.isEmpty()) {
      return;
    }
    int index = random.nextInt(fields.size());
    String value = INTERESTING_VALUES[random.nextInt(INTERESTING_VALUES.length)];
    fields.set(index, new String[] {fields.get(index)[0], value});
  }

  /** Nested arrays or objects, from a few levels to deeper than any JSON parser allows. */
  private static String deep(Random random, int maxFrameBytes) {
    int depth = 1 + Mutator.skewedLength(random, Math.max(2, maxFrameBytes / 2 - 16));
    boolean arrays = random.nextBoolean();
    String open = arrays ? "[" : "{\"a\":";
    String close = arrays ? "]" : "}";
    StringBuilder deep = new StringBuilder();
    deep.append(open.repeat(depth)).append("1");
    if (random.nextInt(4) != 0) { // sometimes unbalanced
      deep.append(close.repeat(depth));
    }
    return deep.toString();
  }

  /** Bytes that are not UTF-8 inside a string of a frame (or anywhere in it). */
  private static List<byte[]> invalidUtf8(List<byte[]> packets, Random random) {
    int index = Mutator.somePacket(packets, random);
    if (index < 0) {
      return packets;
    }
    byte[] packet = packets.get(index);
    int at = random.nextInt(packet.length);
    for (int i = 0; i < packet.length; i++) { // prefer the inside of a string
      int candidate = (at + i) % packet.length;
      if (packet[candidate] == '"' && candidate + 1 < packet.length) {
        at = candidate + 1;
        break;
      }
    }
    ByteArrayOutputStream bad = new ByteArrayOutputStream();
    bad.writeBytes(INVALID_UTF8[random.nextInt(INVALID_UTF8.length)]);
    packets.set(index, Mutator.splice(packet, at, at, bad.toByteArray()));
    return packets;
  }
}

package io.sessionbroker.transports.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.BinaryProperty;
import io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty;
import io.netty.handler.codec.mqtt.MqttProperties.MqttProperty;
import io.netty.handler.codec.mqtt.MqttProperties.StringPair;
import io.netty.handler.codec.mqtt.MqttProperties.StringProperty;
import io.netty.handler.codec.mqtt.MqttProperties.UserProperties;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The MQTT 5 properties that travel with an Application Message from its publisher to its
 * subscribers (§3.3.2.3): Payload Format Indicator, Message Expiry Interval, Content Type, Response
 * Topic, Correlation Data and the User Properties, in their order. The broker MUST pass them on
 * unaltered ([MQTT-3.3.2-4], [MQTT-3.3.2-15], [MQTT-3.3.2-16], [MQTT-3.3.2-17], [MQTT-3.3.2-18],
 * [MQTT-3.3.2-20]); a will carries the same ones in its Will Properties (§3.1.3.2, order kept:
 * [MQTT-3.1.3-10]). What belongs to one hop only — Topic Alias, Subscription Identifier, Will Delay
 * Interval — is not forwarded.
 *
 * <p>Also their JSON form, for the cluster event bus and the will in {@code sessions.closed}:
 *
 * <pre>{@code
 * {"payloadFormatIndicator": 1, "messageExpiryIntervalSeconds": 60, "contentType": "text/plain",
 *  "responseTopic": "replies/42", "correlationDataBase64": "AQI=",
 *  "userProperties": [{"name": "site", "value": "north"}, {"name": "site", "value": "south"}]}
 * }</pre>
 *
 * Absent properties are absent keys; user properties are a list because names may repeat and order
 * counts. Pure functions.
 */
final class MessageProperties {

  private static final int[] FORWARDED = {
    MqttProperties.PAYLOAD_FORMAT_INDICATOR,
    MqttProperties.PUBLICATION_EXPIRY_INTERVAL,
    MqttProperties.CONTENT_TYPE,
    MqttProperties.RESPONSE_TOPIC,
    MqttProperties.CORRELATION_DATA,
    MqttProperties.USER_PROPERTY
  };

  private MessageProperties() {}

  /** The properties of {@code received} that go on with the message; never null. */
  static MqttProperties forwarded(MqttProperties received) {
    if (received == null || received.isEmpty()) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties forwarded = new MqttProperties();
    for (int id : FORWARDED) {
      MqttProperty<?> property = received.getProperty(id);
      if (property != null) {
        forwarded.add(property);
      }
    }
    return forwarded.isEmpty() ? MqttProperties.NO_PROPERTIES : forwarded;
  }

  /** Whether the Payload Format Indicator says the payload is UTF-8 text (§3.3.2.3.2). */
  static boolean saysUtf8(MqttProperties properties) {
    MqttProperty<?> indicator =
        properties == null ? null : properties.getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR);
    return indicator != null && (Integer) indicator.value() == 1;
  }

  /**
   * How many bytes a PUBLISH to an MQTT 5 client takes on the wire (§3.3): fixed header, topic,
   * packet id, properties (only {@link #forwarded} ones are ever sent) and payload. For the
   * client's Maximum Packet Size ([MQTT-3.1.2-24]).
   */
  static long publishPacketBytes(
      String topic, int payloadBytes, boolean withPacketId, MqttProperties properties) {
    long propertyBytes = 0;
    for (MqttProperty<?> property : forwarded(properties).listAll()) {
      propertyBytes += propertyBytes(property);
    }
    long remaining =
        2L
            + topic.getBytes(StandardCharsets.UTF_8).length
            + (withPacketId ? 2 : 0)
            + varIntBytes(propertyBytes)
            + propertyBytes
            + payloadBytes;
    return 1 + varIntBytes(remaining) + remaining;
  }

  private static long propertyBytes(MqttProperty<?> property) {
    return switch (property.propertyId()) {
      case MqttProperties.PAYLOAD_FORMAT_INDICATOR -> 2;
      case MqttProperties.PUBLICATION_EXPIRY_INTERVAL -> 5;
      case MqttProperties.CORRELATION_DATA -> 3 + ((byte[]) property.value()).length;
      case MqttProperties.USER_PROPERTY -> {
        long bytes = 0;
        for (StringPair pair : userPairs(property)) {
          bytes += 5 + utf8Bytes(pair.key) + utf8Bytes(pair.value);
        }
        yield bytes;
      }
      default -> 3 + utf8Bytes((String) property.value()); // Content Type, Response Topic
    };
  }

  private static int utf8Bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8).length;
  }

  private static int varIntBytes(long value) {
    return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
  }

  /** The JSON form (see the class comment); null when there is nothing to forward. */
  static JsonObject toJson(MqttProperties properties) {
    MqttProperties forwarded = forwarded(properties);
    if (forwarded.isEmpty()) {
      return null;
    }
    JsonObject json = new JsonObject();
    putValue(json, "payloadFormatIndicator", forwarded, MqttProperties.PAYLOAD_FORMAT_INDICATOR);
    MqttProperty<?> expiry = forwarded.getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL);
    if (expiry != null) {
      json.put("messageExpiryIntervalSeconds", Integer.toUnsignedLong((Integer) expiry.value()));
    }
    putValue(json, "contentType", forwarded, MqttProperties.CONTENT_TYPE);
    putValue(json, "responseTopic", forwarded, MqttProperties.RESPONSE_TOPIC);
    MqttProperty<?> correlation = forwarded.getProperty(MqttProperties.CORRELATION_DATA);
    if (correlation != null) {
      json.put(
          "correlationDataBase64",
          Base64.getEncoder().encodeToString((byte[]) correlation.value()));
    }
    MqttProperty<?> user = forwarded.getProperty(MqttProperties.USER_PROPERTY);
    if (user != null) {
      JsonArray pairs = new JsonArray();
      for (StringPair pair : userPairs(user)) {
        pairs.add(new JsonObject().put("name", pair.key).put("value", pair.value));
      }
      json.put("userProperties", pairs);
    }
    return json;
  }

  /** Back from the JSON form; NO_PROPERTIES for null. */
  static MqttProperties fromJson(JsonObject json) {
    if (json == null || json.isEmpty()) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    if (json.containsKey("payloadFormatIndicator")) {
      properties.add(
          new IntegerProperty(
              MqttProperties.PAYLOAD_FORMAT_INDICATOR, json.getInteger("payloadFormatIndicator")));
    }
    if (json.containsKey("messageExpiryIntervalSeconds")) {
      properties.add(
          new IntegerProperty(
              MqttProperties.PUBLICATION_EXPIRY_INTERVAL,
              (int) (long) json.getLong("messageExpiryIntervalSeconds")));
    }
    if (json.containsKey("contentType")) {
      properties.add(
          new StringProperty(MqttProperties.CONTENT_TYPE, json.getString("contentType")));
    }
    if (json.containsKey("responseTopic")) {
      properties.add(
          new StringProperty(MqttProperties.RESPONSE_TOPIC, json.getString("responseTopic")));
    }
    if (json.containsKey("correlationDataBase64")) {
      properties.add(
          new BinaryProperty(
              MqttProperties.CORRELATION_DATA,
              Base64.getDecoder().decode(json.getString("correlationDataBase64"))));
    }
    JsonArray pairs = json.getJsonArray("userProperties");
    if (pairs != null && !pairs.isEmpty()) {
      UserProperties user = new UserProperties();
      for (int i = 0; i < pairs.size(); i++) {
        JsonObject pair = pairs.getJsonObject(i);
        user.add(pair.getString("name"), pair.getString("value"));
      }
      properties.add(user);
    }
    return properties;
  }

  private static void putValue(JsonObject json, String key, MqttProperties properties, int id) {
    MqttProperty<?> property = properties.getProperty(id);
    if (property != null) {
      json.put(key, property.value());
    }
  }

  @SuppressWarnings("unchecked")
  private static List<StringPair> userPairs(MqttProperty<?> user) {
    return (List<StringPair>) user.value();
  }
}

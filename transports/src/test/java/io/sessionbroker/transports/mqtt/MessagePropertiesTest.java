package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MessagePropertiesTest {

  private static MqttProperties everyForwardedProperty() {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, 1));
    properties.add(
        new MqttProperties.IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL, 60));
    properties.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, "text/plain"));
    properties.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, "re/ü"));
    properties.add(
        new MqttProperties.BinaryProperty(MqttProperties.CORRELATION_DATA, new byte[] {1, 2}));
    properties.add(new MqttProperties.UserProperty("site", "north"));
    properties.add(new MqttProperties.UserProperty("site", "süd"));
    return properties;
  }

  /** Verifies that the JSON form keeps every property, the user properties in their order. */
  @Test
  void theJsonFormRoundTripsEveryForwardedProperty() {
    MqttProperties properties = everyForwardedProperty();
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, 3));

    JsonObject json = MessageProperties.toJson(properties);

    assertThat(json.containsKey("topicAlias")).isFalse();
    assertThat(MessageProperties.toJson(MessageProperties.fromJson(json))).isEqualTo(json);
    assertThat(json.getJsonArray("userProperties").getJsonObject(1).getString("value"))
        .isEqualTo("süd");
  }

  /**
   * Verifies that the size computed for the client's Maximum Packet Size is what netty's encoder
   * writes, with and without properties and packet id.
   */
  @Test
  void publishPacketBytesIsWhatTheEncoderWrites() {
    for (MqttProperties properties :
        new MqttProperties[] {MqttProperties.NO_PROPERTIES, everyForwardedProperty()}) {
      for (MqttQoS qos : new MqttQoS[] {MqttQoS.AT_MOST_ONCE, MqttQoS.AT_LEAST_ONCE}) {
        for (int payload : new int[] {0, 10, 200, 20_000}) {
          EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
          // the attribute netty's decoder sets from the CONNECT (MqttCodecUtil.MQTT_VERSION_KEY)
          channel
              .attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION"))
              .set(MqttVersion.MQTT_5);
          channel.writeOutbound(
              MqttMessageBuilders.publish()
                  .topicName("sensors/ä/1")
                  .qos(qos)
                  .messageId(qos == MqttQoS.AT_MOST_ONCE ? 0 : 7)
                  .properties(properties)
                  .payload(Unpooled.wrappedBuffer(new byte[payload]))
                  .build());
          ByteBuf encoded = channel.readOutbound();

          assertThat(
                  MessageProperties.publishPacketBytes(
                      "sensors/ä/1", payload, qos != MqttQoS.AT_MOST_ONCE, properties))
              .as("qos %s, payload %d, properties %s", qos, payload, properties.listAll().size())
              .isEqualTo(encoded.readableBytes());
          encoded.release();
          channel.finishAndReleaseAll();
        }
      }
    }
  }
}

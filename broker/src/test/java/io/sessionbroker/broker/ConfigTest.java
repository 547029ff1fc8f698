package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.mqtt.MqttOptions;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verifies that the shipped configuration loads, matches the code's defaults, and can be
 * overridden.
 */
class ConfigTest {

  @Test
  void shippedConfigurationLoadsWithEveryListenerOnLoopback() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());

    BrokerConfig config = BrokerHarness.config(json);

    assertThat(config.tcp().host()).isEqualTo("127.0.0.1");
    assertThat(config.udp().host()).isEqualTo("127.0.0.1");
    assertThat(config.mqtt().host()).isEqualTo("127.0.0.1");
    assertThat(config.websocket().host()).isEqualTo("127.0.0.1");
    assertThat(config.bridge().host()).isEqualTo("127.0.0.1");
    assertThat(config.auth().required()).isFalse();
  }

  @Test
  void shippedConfigurationStatesTheCodeDefaults() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());

    assertThat(TableOptions.fromJson(json.getJsonObject("table")))
        .isEqualTo(TableOptions.defaults());
    assertThat(listener(json, "tcp")).isEqualTo(TcpOptions.fromJson(new JsonObject()).toJson());
    assertThat(listener(json, "udp")).isEqualTo(UdpOptions.fromJson(new JsonObject()).toJson());
    assertThat(listener(json, "mqtt")).isEqualTo(MqttOptions.fromJson(new JsonObject()).toJson());
    assertThat(listener(json, "websocket"))
        .isEqualTo(WsOptions.fromJson(new JsonObject()).toJson());
  }

  private static JsonObject listener(JsonObject conf, String name) {
    JsonObject section = conf.getJsonObject(name).copy();
    section.remove("enabled");
    return section;
  }

  @Test
  void environmentOverridesAnySettingWithItsType() {
    Map<String, String> env =
        Map.of(
            "BROKER_TCP_PORT", "7100",
            "BROKER_TABLE_MAX_EVICTIONS_PER_TICK", "99",
            "BROKER_TABLE_TIMEOUT_MULTIPLIER", "2.5",
            "BROKER_BRIDGE_ENABLED", "false",
            "BROKER_NODE_ID", "edge-7");

    BrokerConfig config = BrokerHarness.config(ConfigLoader.load(BrokerHarness.SHIPPED_CONF, env));

    assertThat(config.tcp().port()).isEqualTo(7100);
    assertThat(config.table().maxEvictionsPerTick()).isEqualTo(99);
    assertThat(config.table().timeoutMultiplier()).isEqualTo(2.5);
    assertThat(config.bridge().enabled()).isFalse();
    assertThat(config.nodeId()).isEqualTo("edge-7");
  }

  /**
   * Verifies that {@code websocket.allowedOrigins} is read from the configuration: empty in the
   * shipped file (same host only), a comma-separated list from its environment variable, and an
   * entry that is not an origin stops the start naming it.
   */
  @Test
  void webSocketAllowedOriginsComeFromTheFileOrCommaSeparatedFromTheEnvironment() {
    assertThat(
            BrokerHarness.config(ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of()))
                .websocket()
                .allowedOrigins())
        .isEmpty();

    Map<String, String> env =
        Map.of("BROKER_WEBSOCKET_ALLOWED_ORIGINS", "https://app.example,http://10.0.0.5:8080");
    BrokerConfig config = BrokerHarness.config(ConfigLoader.load(BrokerHarness.SHIPPED_CONF, env));

    assertThat(config.websocket().allowedOrigins())
        .containsExactly("https://app.example", "http://10.0.0.5:8080");
    JsonObject bad =
        ConfigLoader.load(
            BrokerHarness.SHIPPED_CONF,
            Map.of("BROKER_WEBSOCKET_ALLOWED_ORIGINS", "app.example/page"));
    assertThatThrownBy(() -> BrokerHarness.config(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("app.example/page");
  }

  @Test
  void malformedEnvironmentValueNamesTheVariable() {
    assertThatThrownBy(
            () -> ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of("BROKER_TCP_PORT", "seven")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BROKER_TCP_PORT");
  }

  @Test
  void listenerBeyondLoopbackWithoutSecretIsRefused() {
    JsonObject json =
        ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of("BROKER_TCP_HOST", "0.0.0.0"));

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auth.secret", BrokerHarness.SHIPPED_CONF.getParent());
  }

  @Test
  void camelCaseKeysBecomeUpperSnakeCaseVariables() {
    assertThat(ConfigLoader.words("keepAliveIdleS")).isEqualTo("KEEP_ALIVE_IDLE_S");
    assertThat(ConfigLoader.words("maxEvictionsPerTick")).isEqualTo("MAX_EVICTIONS_PER_TICK");
  }
}

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.mqtt.MqttOptions;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    section.remove("tlsPort"); // read by BrokerConfig, see the TLS tests below
    section.remove("plain");
    return section;
  }

  @Test
  void shippedConfigurationNamesTlsPortsButServesNoTlsUntilACertificateIsSet() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());

    BrokerConfig config = BrokerHarness.config(json);

    assertThat(config.tls()).isNull();
    for (String listener : BrokerConfig.TLS_LISTENERS) {
      ListenerTls tls = config.tls(listener);
      assertThat(tls.enabled()).as(listener).isFalse();
      assertThat(tls.plain()).as(listener).isTrue();
    }
    assertThat(json.getJsonObject("mqtt").getInteger("tlsPort")).isEqualTo(8883);
    assertThat(json.getJsonObject("tcp").getInteger("tlsPort")).isEqualTo(7443);
    assertThat(json.getJsonObject("websocket").getInteger("tlsPort")).isEqualTo(7444);
    assertThat(json.getJsonObject("http").getInteger("tlsPort")).isEqualTo(7445);
    assertThat(json.getJsonObject("bridge").getInteger("tlsPort")).isEqualTo(7943);
  }

  @Test
  void switchingAPlainPortOffWithoutTlsIsRefusedNamingTheSetting() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    json.getJsonObject("mqtt").put("plain", false);

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "mqtt.plain=false needs a TLS port: set tls.certFile and tls.keyFile, and a tlsPort");
  }

  @Test
  void clientAuthWithoutACaFileIsRefused(@TempDir Path dir) throws Exception {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    Files.writeString(dir.resolve("cert.pem"), "x");
    Files.writeString(dir.resolve("key.pem"), "x");
    json.getJsonObject("tls")
        .put("certFile", dir.resolve("cert.pem").toString())
        .put("keyFile", dir.resolve("key.pem").toString())
        .put("clientAuth", "require");

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage("tls.clientAuth=require needs tls.caFile to check client certificates");
  }

  @Test
  void aMissingCertificateFileIsRefusedNamingTheSetting(@TempDir Path dir) {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    json.getJsonObject("tls")
        .put("certFile", dir.resolve("absent.pem").toString())
        .put("keyFile", dir.resolve("absent.key").toString());

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage("tls.certFile=" + dir.resolve("absent.pem") + " is not a readable file");
  }

  @Test
  void portOffsetMovesTlsPortsToo() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());

    ConfigLoader.shiftPorts(json, 10);

    assertThat(json.getJsonObject("mqtt").getInteger("port")).isEqualTo(1893);
    assertThat(json.getJsonObject("mqtt").getInteger("tlsPort")).isEqualTo(8893);
    assertThat(json.getJsonObject("bridge").getInteger("tlsPort")).isEqualTo(7953);
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

package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.testkit.TestPki;
import io.sessionbroker.transports.auth.PasswordHash;
import io.sessionbroker.transports.mqtt.AclOptions;
import io.sessionbroker.transports.mqtt.MqttOptions;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tls.ListenerTls;
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that the shipped configuration loads, matches the code's defaults, and can be
 * overridden.
 */
class ConfigTest {

  @TempDir Path dir;

  /**
   * Verifies that the shipped configuration names the cluster after the user, so that two people's
   * clusters on one machine never merge, and that a configured name wins.
   */
  @Test
  void theClusterIsNamedAfterTheUserUnlessNamed() {
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    JsonObject named = conf.copy();
    named.getJsonObject("cluster").put("name", "alice");

    assertThat(BrokerHarness.config(conf).cluster().name())
        .isEqualTo("session-broker-" + System.getProperty("user.name"));
    assertThat(BrokerHarness.config(named).cluster().name()).isEqualTo("alice");
  }

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
    assertThat(BrokerConfig.ClusterOptions.fromJson(json.getJsonObject("cluster"), Path.of("conf")))
        .isEqualTo(BrokerConfig.ClusterOptions.fromJson(new JsonObject(), Path.of("conf")));
  }

  private static JsonObject listener(JsonObject conf, String name) {
    JsonObject section = conf.getJsonObject(name).copy();
    section.remove("enabled");
    section.remove("tlsPort"); // read by BrokerConfig, see the TLS tests below
    section.remove("plain");
    section.remove("aclFile"); // read by BrokerConfig as AclOptions, see the ACL tests below
    section.remove("adminUsers");
    section.remove("aclReloadCheckMs");
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

  /** Verifies that the shipped MQTT authorization is the device tree only, checked every 5 s. */
  @Test
  void shippedMqttAuthorizationIsTheDeviceTreeOnly() {
    BrokerConfig config =
        BrokerHarness.config(ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of()));

    assertThat(config.mqttAcl())
        .isEqualTo(new AclOptions(null, java.util.Set.of(), AclOptions.DEFAULT_RELOAD_CHECK_MS));
  }

  /** Verifies that an ACL file with a wrong line stops the start, naming the file and line. */
  @Test
  void anAclFileWithAWrongLineIsRefusedNamingTheLine(@TempDir Path dir) throws Exception {
    Path acl = Files.writeString(dir.resolve("acl.conf"), "topic read a/#\ntopik read b\n");
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    json.getJsonObject("mqtt").put("aclFile", acl.toString());

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage(
            "mqtt.aclFile=" + acl + ", line 2: expected topic, pattern or user, got 'topik'");
  }

  /**
   * Verifies that administrative user names are refused when device tokens are on but no password
   * file checks user names: any device could claim the name.
   */
  @Test
  void adminUsersWithTokensButNoPasswordFileAreRefused() {
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    json.getJsonObject("mqtt").put("adminUsers", new io.vertx.core.json.JsonArray().add("ops"));
    json.getJsonObject("auth").put("secret", "0123456789abcdef0123");

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage(
            "mqtt.adminUsers needs auth.passwordFile: with auth.secret alone the MQTT user name is"
                + " not checked, and any device could claim to be ops");
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
    JsonObject json =
        ConfigLoader.resolve(
                BrokerHarness.SHIPPED_CONF, Map.of(), new ConfigLoader.Flags(10, false))
            .json();

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
  void malformedEnvironmentValueNamesTheSettingAndTheVariable() {
    assertThatThrownBy(
            () -> ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of("BROKER_TCP_PORT", "seven")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tcp.port: expected a number, got \"seven\" (from BROKER_TCP_PORT)");
  }

  @Test
  void aFileThatListsOneSectionStillHasEveryOtherSettingAtItsDefault() {
    EffectiveConfig effective =
        resolve("{\"tcp\":{\"port\":7100}}", Map.of(), ConfigLoader.Flags.NONE);

    assertThat(effective.json()).isEqualTo(merged(ConfigLoader.defaults(), "tcp", "port", 7100));
    assertThat(effective.origins())
        .containsEntry("tcp.port", "file")
        .containsEntry("udp.port", "default");
  }

  @Test
  void theEnvironmentOverridesSettingsTheFileDoesNotMention() {
    EffectiveConfig effective =
        resolve(
            "{\"tcp\":{\"port\":7100}}",
            Map.of("BROKER_MQTT_PORT", "1999", "BROKER_TCP_PORT", "7200"),
            ConfigLoader.Flags.NONE);

    assertThat(effective.json().getJsonObject("mqtt").getInteger("port")).isEqualTo(1999);
    assertThat(effective.json().getJsonObject("tcp").getInteger("port")).isEqualTo(7200);
    assertThat(effective.origins())
        .containsEntry("mqtt.port", "env BROKER_MQTT_PORT")
        .containsEntry("tcp.port", "env BROKER_TCP_PORT");
  }

  @Test
  void portOffsetMovesEveryPortAlsoThoseTheFileDoesNotMentionButLeavesPortZero() {
    EffectiveConfig effective =
        resolve(
            "{\"tcp\":{\"port\":7100},\"udp\":{\"port\":0}}",
            Map.of(),
            new ConfigLoader.Flags(10, false));

    JsonObject json = effective.json();
    assertThat(json.getJsonObject("tcp").getInteger("port")).isEqualTo(7110);
    assertThat(json.getJsonObject("udp").getInteger("port")).isZero();
    assertThat(json.getJsonObject("mqtt").getInteger("port")).isEqualTo(1893);
    assertThat(json.getJsonObject("websocket").getInteger("port")).isEqualTo(7090);
    assertThat(json.getJsonObject("bridge").getInteger("port")).isEqualTo(7910);
    assertThat(json.getJsonObject("http").getInteger("port")).isEqualTo(7080);
    assertThat(effective.origins())
        .containsEntry("http.port", "flag --port-offset 10 on default 7070")
        .containsEntry("tcp.port", "flag --port-offset 10 on file 7100")
        .containsEntry("udp.port", "file");
  }

  @Test
  void aPortMovedBeyondTheLastPortIsRefused() {
    assertThatThrownBy(
            () ->
                resolve("{\"tcp\":{\"port\":65530}}", Map.of(), new ConfigLoader.Flags(10, false)))
        .hasMessage("tcp.port: 65530 + --port-offset 10 = 65540 is out of range 1..65535");
  }

  @Test
  void clusterFlagEnablesTheClusterAndSaysSo() {
    EffectiveConfig effective = resolve("{}", Map.of(), new ConfigLoader.Flags(0, true));

    assertThat(effective.json().getJsonObject("cluster").getBoolean("enabled")).isTrue();
    assertThat(effective.origins()).containsEntry("cluster.enabled", "flag --cluster");
  }

  @Test
  void anUnknownSettingIsRefusedWithTheSettingMeant() {
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"prot\":7000}}"))
        .hasMessage("tcp.prot: unknown setting (did you mean tcp.port?)");
    assertThatThrownBy(() -> resolve("{\"tpc\":{\"port\":7000}}"))
        .hasMessage("tpc: unknown setting (did you mean tcp?)");
    assertThatThrownBy(() -> resolve("{\"table\":{\"tickMS\":5}}"))
        .hasMessage("table.tickMS: unknown setting (did you mean table.tickMs?)");
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"banana\":1}}"))
        .hasMessage("tcp.banana: unknown setting");
  }

  @Test
  void aValueOfTheWrongTypeIsRefusedWithWhatWasExpected() {
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"port\":\"seventy\"}}"))
        .hasMessage("tcp.port: expected a number, got \"seventy\"");
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"port\":70.5}}"))
        .hasMessage("tcp.port: expected a whole number, got 70.5");
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"enabled\":\"yes\"}}"))
        .hasMessage("tcp.enabled: expected true or false, got \"yes\"");
    assertThatThrownBy(() -> resolve("{\"tcp\":5}"))
        .hasMessage("tcp: expected a section {...}, got 5");
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"host\":7}}"))
        .hasMessage("tcp.host: expected a string, got 7");
    assertThatThrownBy(() -> resolve("{\"table\":{\"timeoutMultiplier\":\"1.5\"}}"))
        .hasMessage("table.timeoutMultiplier: expected a number, got \"1.5\"");
  }

  @Test
  void aKeyGivenTwiceOrAFileThatIsNoObjectIsRefused() {
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"port\":7000,\"port\":7001}}"))
        .hasMessageEndingWith(" is not valid JSON: Duplicate field 'port' (line 1, column 27)");
    assertThatThrownBy(() -> resolve("[1]"))
        .hasMessageEndingWith(": the configuration must be a JSON object {...}");
  }

  @Test
  void aValueOutOfItsRangeIsRefusedWithTheRange() {
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"port\":70000}}"))
        .hasMessage("tcp.port: 70000 is out of range 0..65535");
    assertThatThrownBy(() -> resolve("{\"table\":{\"tickMs\":0}}"))
        .hasMessage("table.tickMs: 0 is out of range 1..1000");
    assertThatThrownBy(() -> resolve("{\"websocket\":{\"maxFrameBytes\":100}}"))
        .hasMessage("websocket.maxFrameBytes: 100 is below the minimum 128");
    assertThatThrownBy(() -> resolve("{\"tcp\":{\"maxConnections\":3000000000}}"))
        .hasMessage("tcp.maxConnections: 3000000000 is out of range -2147483648..2147483647");
    assertThatThrownBy(() -> resolve("{\"udp\":{\"maxDatagramBytes\":100}}"))
        .hasMessage("udp.maxDatagramBytes: 100 is out of range 256..2048");
    assertThatThrownBy(() -> resolve("{\"log\":{\"level\":\"verbose\"}}"))
        .hasMessage("log.level: expected one of error, warn, info, debug, trace, got \"verbose\"");
    assertThatThrownBy(
            () -> resolve("{}", Map.of("BROKER_TABLE_TICK_MS", "5000"), ConfigLoader.Flags.NONE))
        .hasMessage("table.tickMs: 5000 is out of range 1..1000");
  }

  @Test
  void anUnknownVariableOfTheBrokerIsRefusedButItsJavaOptionsAreNotASetting() {
    assertThatThrownBy(
            () -> resolve("{}", Map.of("BROKER_TCP_PROT", "7000"), ConfigLoader.Flags.NONE))
        .hasMessage(
            "BROKER_TCP_PROT: unknown setting in the environment (did you mean BROKER_TCP_PORT?)");
    assertThat(
            resolve(
                    "{}",
                    Map.of("BROKER_JAVA_OPTS", "-Xmx1g", "PATH", "/bin"),
                    ConfigLoader.Flags.NONE)
                .json())
        .isEqualTo(ConfigLoader.defaults());
  }

  @Test
  void anEnvironmentValueTakesTheTypeOfItsSetting() {
    assertThatThrownBy(
            () -> resolve("{}", Map.of("BROKER_TCP_ENABLED", "yes"), ConfigLoader.Flags.NONE))
        .hasMessage("tcp.enabled: expected true or false, got \"yes\" (from BROKER_TCP_ENABLED)");
    JsonObject json =
        resolve(
                "{}",
                Map.of("BROKER_NODE_ID", "42", "BROKER_TABLE_TIMEOUT_MULTIPLIER", "2"),
                ConfigLoader.Flags.NONE)
            .json();
    assertThat(json.getJsonObject("node").getValue("id")).isEqualTo("42");
    assertThat(json.getJsonObject("table").getDouble("timeoutMultiplier")).isEqualTo(2.0);
  }

  @Test
  void withoutAFileTheBrokerRunsOnTheDefaultsWhichAreTheShippedFile() throws Exception {
    EffectiveConfig effective = ConfigLoader.resolve(null, Map.of(), ConfigLoader.Flags.NONE);

    assertThat(effective.json())
        .isEqualTo(new JsonObject(Files.readString(BrokerHarness.SHIPPED_CONF)));
    assertThat(effective.origins().values()).containsOnly("default");
  }

  @Test
  void suggestionsAreForNearMissesOnly() {
    assertThat(ConfigRules.distance("tcp.prot", "tcp.port")).isEqualTo(2);
    assertThat(ConfigRules.suggestion("tcp.prot", List.of("tcp.port", "udp.port")))
        .isEqualTo(" (did you mean tcp.port?)");
    assertThat(ConfigRules.suggestion("tcp.banana", List.of("tcp.port", "tcp.host"))).isEmpty();
  }

  private EffectiveConfig resolve(String file, Map<String, String> env, ConfigLoader.Flags flags) {
    try {
      Path path = dir.resolve("broker-" + System.nanoTime() + ".json");
      Files.writeString(path, file);
      return ConfigLoader.resolve(path, env, flags);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private EffectiveConfig resolve(String file) {
    return resolve(file, Map.of(), ConfigLoader.Flags.NONE);
  }

  private static JsonObject merged(JsonObject defaults, String section, String key, Object value) {
    defaults.getJsonObject(section).put(key, value);
    return defaults;
  }

  @Test
  void listenerBeyondLoopbackWithoutSecretIsRefused() {
    JsonObject json =
        ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of("BROKER_TCP_HOST", "0.0.0.0"));

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auth.secret", BrokerHarness.SHIPPED_CONF.getParent());
  }

  /**
   * Verifies DESIGN §8: a device listener beyond loopback with a credential check but a plain-text
   * port is refused unless auth.allowInsecure, and the refusal says why and what to set.
   */
  @Test
  void aPlainTextListenerBeyondLoopbackIsRefusedUnlessAllowInsecure() {
    JsonObject json =
        ConfigLoader.load(
            BrokerHarness.SHIPPED_CONF,
            Map.of("BROKER_MQTT_HOST", "0.0.0.0", "BROKER_AUTH_SECRET", "0123456789abcdef"));

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "mqtt.host=0.0.0.0 is beyond loopback and mqtt.plain=true serves plain text: tokens,"
                + " passwords and data would cross the network readable by anyone. Set"
                + " tls.certFile and tls.keyFile and mqtt.plain=false, or accept that with"
                + " auth.allowInsecure=true");

    json.getJsonObject("auth").put("allowInsecure", true);
    assertThat(BrokerHarness.config(json).mqtt().host()).isEqualTo("0.0.0.0");
  }

  /**
   * Verifies that allowInsecure waives TLS only (DESIGN §8): a listener beyond loopback without any
   * credential check is refused even with it, naming the ways to add one.
   */
  @Test
  void allowInsecureDoesNotWaiveTheCredentialCheck() {
    JsonObject json =
        ConfigLoader.load(
            BrokerHarness.SHIPPED_CONF,
            Map.of("BROKER_WEBSOCKET_HOST", "0.0.0.0", "BROKER_AUTH_ALLOW_INSECURE", "true"));

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage(
            "websocket.host=0.0.0.0 is beyond loopback but nothing checks who connects: set"
                + " auth.secret (device tokens, at least 16 characters) or auth.passwordFile, or"
                + " tls.clientAuth=require with websocket.plain=false");
  }

  /** Verifies that UDP beyond loopback needs credentials and allowInsecure (it has no TLS). */
  @Test
  void udpBeyondLoopbackNeedsCredentialsAndAllowInsecure() {
    JsonObject json =
        ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of("BROKER_UDP_HOST", "0.0.0.0"));

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessage(
            "udp.host=0.0.0.0 is beyond loopback but nothing checks who connects: set auth.secret"
                + " (device tokens, at least 16 characters) or auth.passwordFile; udp.host=0.0.0.0"
                + " is beyond loopback and UDP is plain text (there is no DTLS): tokens,"
                + " passwords and data would cross the network readable by anyone. Disable it"
                + " (udp.enabled=false), keep it on 127.0.0.1, or accept that with"
                + " auth.allowInsecure=true");

    json.getJsonObject("auth").put("secret", "0123456789abcdef").put("allowInsecure", true);
    assertThat(BrokerHarness.config(json).udp().host()).isEqualTo("0.0.0.0");
  }

  /**
   * Verifies the secure setups beyond loopback that need no allowInsecure: TLS only with a password
   * file, and TLS only with client certificates required (no other credential).
   */
  @Test
  void tlsOnlyWithAPasswordFileOrRequiredClientCertificatesStartsBeyondLoopback(
      @TempDir Path pkiDir) throws Exception {
    TestPki pki = TestPki.create(pkiDir, "secure-ca");
    TestPki.Issued server = pki.server("server");
    Path passwords = pkiDir.resolve("passwords");
    Files.writeString(
        passwords,
        "alice:" + PasswordHash.create("a", 1_000, new java.security.SecureRandom()).encode());
    Map<String, String> tlsOnly =
        Map.of(
            "BROKER_TCP_HOST", "0.0.0.0",
            "BROKER_TCP_PLAIN", "false",
            "BROKER_UDP_ENABLED", "false",
            "BROKER_TLS_CERT_FILE", server.certFile().toString(),
            "BROKER_TLS_KEY_FILE", server.keyFile().toString());

    JsonObject withPasswords = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, tlsOnly);
    withPasswords.getJsonObject("auth").put("passwordFile", passwords.toString());
    assertThat(BrokerHarness.config(withPasswords).auth().required()).isTrue();

    JsonObject withCertificates = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, tlsOnly);
    withCertificates
        .getJsonObject("tls")
        .put("caFile", pki.ca().certFile().toString())
        .put("clientAuth", "require");
    assertThat(BrokerHarness.config(withCertificates).tcp().host()).isEqualTo("0.0.0.0");

    // but required certificates with the plain port still on are no credential check there
    withCertificates.getJsonObject("tcp").put("plain", true);
    withCertificates.getJsonObject("auth").put("allowInsecure", true);
    assertThatThrownBy(() -> BrokerHarness.config(withCertificates))
        .hasMessageStartingWith(
            "tcp.host=0.0.0.0 is beyond loopback but nothing checks who connects");
  }

  /** Verifies that a bad line of the password file stops the start, naming file and line. */
  @Test
  void aBadLineOfThePasswordFileStopsTheStartNamingIt(@TempDir Path pwDir) throws Exception {
    Path passwords = pwDir.resolve("passwords");
    Files.writeString(passwords, "# users\nalice:$7$101$c2FsdA==\n");
    JsonObject json = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    json.getJsonObject("auth").put("passwordFile", passwords.toString());

    assertThatThrownBy(() -> BrokerHarness.config(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auth.passwordFile " + passwords + " line 2: expected $7$iterations$salt$hash");

    json.getJsonObject("auth").put("passwordFile", pwDir.resolve("missing").toString());
    assertThatThrownBy(() -> BrokerHarness.config(json))
        .hasMessageStartingWith(
            "auth.passwordFile=" + pwDir.resolve("missing") + " cannot be read");
  }

  @Test
  void camelCaseKeysBecomeUpperSnakeCaseVariables() {
    assertThat(EnvironmentLayer.words("keepAliveIdleS")).isEqualTo("KEEP_ALIVE_IDLE_S");
    assertThat(EnvironmentLayer.words("maxEvictionsPerTick")).isEqualTo("MAX_EVICTIONS_PER_TICK");
    assertThat(EnvironmentLayer.variable("table.maxEvictionsPerTick"))
        .isEqualTo("BROKER_TABLE_MAX_EVICTIONS_PER_TICK");
  }
}

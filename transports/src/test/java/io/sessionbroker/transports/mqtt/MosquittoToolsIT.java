package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies the command-line tools from the docs, mosquitto_sub and mosquitto_pub, against the
 * transport. Skipped where they are not installed ({@code apt-get install mosquitto-clients}).
 */
@Timeout(60)
class MosquittoToolsIT {

  private static final Path SUB = Path.of("/usr/bin/mosquitto_sub");
  private static final Path PUB = Path.of("/usr/bin/mosquitto_pub");

  @ParameterizedTest
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void mosquittoSubReceivesWhatMosquittoPubPublishes(String version) throws Exception {
    assumeTrue(
        Files.isExecutable(SUB) && Files.isExecutable(PUB), "mosquitto-clients not installed");
    try (MqttHarness mqtt = MqttHarness.everyTopic()) {
      String port = String.valueOf(mqtt.port());
      // given a mosquitto_sub waiting for one message on sensors/#
      Process sub =
          new ProcessBuilder(
                  SUB.toString(),
                  "-h",
                  "127.0.0.1",
                  "-p",
                  port,
                  "-V",
                  version,
                  "-i",
                  "tool-sub",
                  "-t",
                  "sensors/#",
                  "-v",
                  "-C",
                  "1",
                  "-W",
                  "20")
              .redirectErrorStream(true)
              .start();
      mqtt.fixture.await(Addresses.OPENED, "tool-sub");

      // when mosquitto_pub publishes at QoS 1
      Process pub =
          new ProcessBuilder(
                  PUB.toString(),
                  "-h",
                  "127.0.0.1",
                  "-p",
                  port,
                  "-V",
                  version,
                  "-i",
                  "tool-pub",
                  "-t",
                  "sensors/7/temp",
                  "-m",
                  "21.5",
                  "-q",
                  "1")
              .redirectErrorStream(true)
              .start();

      // then both tools succeed, the subscriber prints the message, and both sessions closed
      // cleanly
      assertThat(pub.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(pub.exitValue()).isZero();
      assertThat(sub.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
          .isEqualTo("sensors/7/temp 21.5");
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "tool-pub").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "tool-sub").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
    }
  }
}

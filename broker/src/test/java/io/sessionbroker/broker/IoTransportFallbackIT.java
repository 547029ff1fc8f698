package io.sessionbroker.broker;

import static io.sessionbroker.broker.BrokerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that a node asked for io_uring on a machine that refuses it ({@code node.ioTransport},
 * docs/configuration.md) still starts, on the next transport that works, and says why in one log
 * line. The refusal is Netty's own: {@code -Dio.netty.transport.noNative=true} makes every native
 * transport report itself unavailable, as a kernel without io_uring or a seccomp profile does.
 */
@Timeout(90)
class IoTransportFallbackIT {

  /**
   * Verifies that with io_uring and epoll refused the node runs on NIO, logs the fallback with the
   * reason, and serves devices.
   */
  @Test
  void aNodeRefusedIoUringFallsBackLogsWhyAndServesDevices(@TempDir Path dir) throws Exception {
    // given a configuration asking for io_uring, on free ports
    JsonObject conf = ConfigLoader.load(BrokerHarness.SHIPPED_CONF, Map.of());
    conf.getJsonObject("node").put("ioTransport", "io_uring");
    int tcpPort = BrokerHarness.freePort();
    conf.getJsonObject("tcp").put("port", tcpPort);
    conf.getJsonObject("udp").put("port", 0);
    conf.getJsonObject("bridge").put("port", BrokerHarness.freePort());
    conf.getJsonObject("mqtt").put("port", BrokerHarness.freePort());
    conf.getJsonObject("websocket").put("port", BrokerHarness.freePort());
    conf.getJsonObject("http").put("port", BrokerHarness.freePort());
    Path file = dir.resolve("broker.json");
    Files.writeString(file, conf.encodePrettily());

    // when the node starts where no native transport is allowed
    Process broker =
        new ProcessBuilder(
                ProcessOutput.javaBinary(),
                "-Dio.netty.transport.noNative=true",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--conf",
                file.toString())
            .redirectErrorStream(true)
            .start();
    try {
      List<String> output = ProcessOutput.readUntil(broker, "ready in");

      // then it says what it asked for, what it took and why, and runs on NIO
      assertThat(output)
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("io_transport_fallback asked=io_uring using=nio")
                      .contains("io_uring: Native transport was explicit disabled")
                      .contains("epoll: Native transport was explicit disabled"));
      assertThat(output).anySatisfy(line -> assertThat(line).contains("io_transport using=nio"));
      assertThat(output.get(output.size() - 1)).contains("native transport: false");
      // and a device gets its session
      try (TcpDevice device = new TcpDevice("127.0.0.1", tcpPort)) {
        assertThat(device.hello("io-fallback-1", 30).getString("type")).isEqualTo("welcome");
        device.send(new JsonObject().put("type", "ping"));
        assertThat(device.read(WAIT).getString("type")).isEqualTo("pong");
      }
    } finally {
      broker.destroyForcibly();
      broker.waitFor();
    }
  }
}

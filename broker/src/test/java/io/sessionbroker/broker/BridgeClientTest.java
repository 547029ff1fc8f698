package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.DecodeException;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a bridge client whose reader meets a frame it cannot read says so to everyone
 * waiting on it, instead of leaving them to their timeouts ({@code watch} printed nothing; a test
 * waited 30 s for a close that had come).
 */
@Timeout(30)
class BridgeClientTest {

  @Test
  void aFrameThatIsNotJsonEndsTheClientWithItsCause() throws Exception {
    byte[] junk = "not json".getBytes(StandardCharsets.UTF_8);
    // when the "bridge" sends a frame that is not JSON and keeps the connection open
    afterTheBridgeSends(
        out -> {
          out.writeInt(junk.length);
          out.write(junk);
        },
        client -> {
          // then the client stops at once and names the cause
          assertThat(client.failure()).hasCauseInstanceOf(DecodeException.class);
          assertThatThrownBy(() -> client.next(Duration.ofSeconds(10)))
              .isInstanceOf(IOException.class)
              .hasMessage("bridge connection lost");
        });
  }

  @Test
  void aLengthNoFrameCanHaveEndsTheClientWithoutAllocatingIt() throws Exception {
    // when the stream announces a frame of 2 GB (a stream out of step), then the client stops at
    // once and names the length
    afterTheBridgeSends(
        out -> out.writeInt(Integer.MAX_VALUE),
        client -> assertThat(client.failure()).hasMessageContaining("2147483647 bytes"));
  }

  private interface Bytes {
    void writeTo(DataOutputStream out) throws IOException;
  }

  private interface Check {
    void on(BridgeClient client) throws Exception;
  }

  /**
   * A client of a "bridge" that sends {@code bytes} and keeps the connection open: the client must
   * have stopped within 10 s, then passes {@code check}.
   */
  private static void afterTheBridgeSends(Bytes bytes, Check check) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        BridgeClient client = new BridgeClient("127.0.0.1", server.getLocalPort());
        Socket bridge = server.accept()) {
      DataOutputStream out = new DataOutputStream(bridge.getOutputStream());
      bytes.writeTo(out);
      out.flush();
      assertThat(client.awaitClosed(Duration.ofSeconds(10))).isTrue();
      check.on(client);
    }
  }
}

package io.sessionbroker.transports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TCP segments a socket of this machine has sent, as the kernel counts them ({@code ss -tin},
 * {@code segs_out}, iproute2): for tests that check how many segments the broker's side of a
 * connection wrote.
 */
public final class SocketSegments {

  private SocketSegments() {}

  /** Whether {@code ss} runs here. */
  public static boolean available() {
    try {
      return run("ss", "-Htn") != null;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /**
   * Segments sent so far by the socket from local port {@code localPort} to peer port {@code
   * peerPort} on 127.0.0.1, in any state that still has them (established, or closed on this side
   * and waiting for the peer); fails if there is no such socket.
   */
  public static long sent(int localPort, int peerPort) throws IOException, InterruptedException {
    String out =
        run(
            "ss",
            "-Htin",
            "state",
            "connected",
            "( sport = :" + localPort + " and dport = :" + peerPort + " )");
    assertThat(out).as("ss could not run").isNotNull();
    Matcher segs = Pattern.compile("segs_out:(\\d+)").matcher(out);
    assertThat(segs.find()).as("ss output: %s", out).isTrue();
    return Long.parseLong(segs.group(1));
  }

  /** The port of an address {@code 127.0.0.1:port}. */
  public static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return null; // not installed
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 ? out : null;
  }
}

package io.sessionbroker.bench.load;

import java.util.Map;

/**
 * The command mode's options (issue 18), parsed out of {@link LoadOptions}' command line: after the
 * ramp, {@code count} commands go through the TCP event bus bridge at {@code host:port} to the
 * connected devices in turn, at most {@code concurrency} in flight; the devices answer them. {@code
 * answer} alone makes the devices answer commands sent by someone else.
 */
public record CommandOptions(
    int count, int concurrency, String host, int port, long timeoutMs, boolean answer) {

  public static final String HELP =
      """
        --commands N         after the ramp, send N commands (devices.command over the TCP bridge) to
                             the devices in turn and report their round trip (0 = none); one process only
        --command-concurrency C  commands in flight at once (100)
        --command-host H     the bridge the commands go to (--host); --command-port P (--bridge-port)
                             (a cluster: another node than the devices' own)
        --command-timeout-ms MS  the commands' timeoutMs (10000)
        --answer 0|1         devices answer commands (1 when --commands > 0, else 0): TCP, WebSocket and
                             UDP reply frames, MQTT devices subscribe commands/{id}/req/# and publish replies
      """;

  public CommandOptions {
    if (count < 0 || concurrency < 1 || timeoutMs < 1) {
      throw new IllegalArgumentException(
          "--commands >= 0, --command-concurrency >= 1, --command-timeout-ms >= 1");
    }
  }

  /** Takes this record's options out of {@code v} (what is left is unknown to both). */
  static CommandOptions parse(Map<String, String> v, String host, int bridgePort) {
    int count = num(v.remove("commands"), 0);
    String answer = v.remove("answer");
    String h = v.remove("command-host");
    return new CommandOptions(
        count,
        num(v.remove("command-concurrency"), 100),
        h == null ? host : h,
        num(v.remove("command-port"), bridgePort),
        num(v.remove("command-timeout-ms"), 10_000),
        answer == null ? count > 0 : !"0".equals(answer));
  }

  private static int num(String s, int dflt) {
    return s == null ? dflt : Integer.parseInt(s);
  }
}

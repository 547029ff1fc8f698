package io.sessionbroker.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The lowest port the kernel hands out to outgoing connections and {@code bind(0)}. */
final class EphemeralPorts {

  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  /** Linux's default when the range cannot be read. */
  private static final int LINUX_DEFAULT = 32_768;

  private EphemeralPorts() {}

  static int lowest() {
    try {
      int low = Integer.parseInt(Files.readString(RANGE).trim().split("\\s+")[0]);
      // a range that starts too low to leave room below it: use the default split
      return low > 12_000 ? low : LINUX_DEFAULT;
    } catch (IOException | RuntimeException unreadable) {
      return LINUX_DEFAULT;
    }
  }
}

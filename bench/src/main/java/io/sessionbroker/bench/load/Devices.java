package io.sessionbroker.bench.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Small operations on devices and their sockets, kept out of {@link Worker}'s event loop. */
final class Devices {

  /** UDP: hellos a device sends before it gives up. */
  static final int MAX_HELLOS = 5;

  private Devices() {}

  /**
   * UDP: how long to wait for the welcome after the {@code hellos}-th hello (1-based): 1, 2, 4, 8,
   * 16 s.
   */
  static long helloBackoffNanos(int hellos) {
    return 1_000_000_000L << Math.min(Math.max(hellos, 1) - 1, 4);
  }

  /**
   * Whether every device that went silent has seen its session end (and, with a bridge, its close
   * event).
   */
  static boolean allSilentClosed(List<Device> devices, BridgeWatch bridge) {
    for (Device d : devices) {
      if (d.silencePingSent
          && (d.state == Device.State.OPEN || (bridge != null && bridge.closeOf(d.id) == null))) {
        return false;
      }
    }
    return true;
  }

  /** The longest session timeout granted: how long the silence may last at most. */
  static long maxTimeoutMs(List<Device> devices) {
    long max = 0;
    for (Device d : devices) {
      max = Math.max(max, d.timeoutMs);
    }
    return max;
  }

  /** Writes a whole small buffer; a partial write means the broker stopped reading. */
  static void write(Device d, ByteBuffer bytes) throws IOException {
    if (d.tls != null) {
      d.tls.send(d.channel, bytes);
      return;
    }
    d.channel.write(bytes);
    if (bytes.hasRemaining()) {
      throw new IOException(
          "socket buffer full"); // a few bytes per heartbeat: only a stuck broker does this
    }
  }

  /** Forgets a closed device's connection, so that it can connect again (a reconnect storm). */
  static void forNewConnection(Device d) {
    d.state = Device.State.CONNECTING;
    d.channel = null;
    d.key = null;
    d.tls = null;
    d.handshake = null;
    d.handshakeLength = 0;
    d.byeNanos = 0;
    d.wsSkip = 0;
    d.inbox = null;
    d.inboxLength = 0;
    d.ready = false;
  }

  static void quietly(Device d) {
    try {
      if (d.channel != null) {
        d.channel.close();
      }
    } catch (IOException ignored) {
      // closing: nothing to do
    }
  }

  /** {@code check}, evaluated at most once per period (it walks every device); false in between. */
  static BooleanSupplier every(long periodNanos, BooleanSupplier check) {
    long[] next = {0};
    return () -> {
      long now = System.nanoTime();
      if (now < next[0]) {
        return false;
      }
      next[0] = now + periodNanos;
      return check.getAsBoolean();
    };
  }
}

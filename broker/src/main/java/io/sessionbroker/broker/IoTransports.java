package io.sessionbroker.broker;

import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O transport every socket of the node runs on ({@code node.ioTransport}): {@code epoll} (the
 * default), {@code io_uring} or {@code nio}. Vert.x runs one transport for all its event loops, so
 * the device listeners, the bridge and HTTP share it.
 *
 * <p>A kernel or container may refuse a native transport: io_uring is off in many container
 * runtimes' seccomp profiles and on kernels before 5.14 or with {@code kernel.io_uring_disabled};
 * epoll needs Linux. Then the node does not fail: it takes the next one of {@code io_uring → epoll
 * → nio} that works and says so in one line, {@code io_transport_fallback asked=io_uring
 * using=epoll reason="…"}, with Netty's reason.
 */
final class IoTransports {

  private static final Logger log = LoggerFactory.getLogger(IoTransports.class);

  /** The settings' values, best first; each falls back to the ones after it. */
  static final List<String> NAMES = List.of("io_uring", "epoll", "nio");

  private IoTransports() {}

  /** The transport to run for {@code configured}, asking Vert.x which ones this machine has. */
  static Transport choose(String configured) {
    return choose(configured, IoTransports::refusal);
  }

  /**
   * The first transport from {@code configured} on that {@code refusal} does not refuse (NIO is
   * never refused).
   *
   * @param refusal why a transport cannot run here, or null when it can
   */
  static Transport choose(String configured, Function<String, Throwable> refusal) {
    int asked = NAMES.indexOf(configured);
    if (asked < 0) {
      throw new IllegalArgumentException(
          "node.ioTransport must be one of " + String.join(", ", NAMES) + ", was " + configured);
    }
    String reasons = "";
    for (String name : NAMES.subList(asked, NAMES.size())) {
      Throwable refused = name.equals("nio") ? null : refusal.apply(name);
      if (refused == null) {
        if (!name.equals(configured)) {
          log.warn(
              "io_transport_fallback asked={} using={} reason=\"{}\"", configured, name, reasons);
        }
        log.info("io_transport using={}", name);
        return transport(name);
      }
      reasons += (reasons.isEmpty() ? "" : "; ") + name + ": " + refused.getMessage();
    }
    throw new IllegalStateException("unreachable: nio is always there");
  }

  private static Transport transport(String name) {
    return switch (name) {
      case "io_uring" -> Transport.IO_URING;
      case "epoll" -> Transport.EPOLL;
      default -> Transport.NIO;
    };
  }

  private static Throwable refusal(String name) {
    Transport transport = transport(name);
    if (transport == null) { // Vert.x found not even the transport's classes
      return new IllegalStateException(
          "Vert.x has no " + name + " transport: its Netty library is not on the classpath");
    }
    if (transport.available()) {
      return null;
    }
    Throwable cause = transport.unavailabilityCause();
    // Netty wraps the kernel's answer: the innermost cause names it (e.g. "Operation not
    // permitted")
    while (cause != null && cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    return cause != null
        ? cause
        : new IllegalStateException("Netty reports " + name + " unavailable and gives no cause");
  }
}

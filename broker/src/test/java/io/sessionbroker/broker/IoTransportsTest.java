package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.transport.Transport;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The choice of I/O transport ({@code node.ioTransport}) and its fallback, on a made-up machine.
 */
class IoTransportsTest {

  /** A machine that refuses the transports named. */
  private static Function<String, Throwable> refusing(String... names) {
    Set<String> refused = Set.of(names);
    return name ->
        refused.contains(name)
            ? new UnsupportedOperationException("Operation not permitted")
            : null;
  }

  /** Verifies that each transport is taken as asked where the machine has it. */
  @Test
  void takesTheTransportAskedForWhereTheMachineHasIt() {
    Map<String, Transport> expected =
        Map.of("io_uring", Transport.IO_URING, "epoll", Transport.EPOLL, "nio", Transport.NIO);
    expected.forEach(
        (name, transport) ->
            assertThat(IoTransports.choose(name, refusing())).as(name).isSameAs(transport));
  }

  /**
   * Verifies that where the kernel refuses io_uring the node runs on epoll, and where it refuses
   * epoll too, on NIO: it starts either way.
   */
  @Test
  void fallsBackFromIoUringToEpollToNio() {
    assertThat(IoTransports.choose("io_uring", refusing("io_uring"))).isSameAs(Transport.EPOLL);
    assertThat(IoTransports.choose("io_uring", refusing("io_uring", "epoll")))
        .isSameAs(Transport.NIO);
    assertThat(IoTransports.choose("epoll", refusing("epoll", "io_uring"))).isSameAs(Transport.NIO);
  }

  /** Verifies that a fallback never goes up: epoll asked, io_uring is not tried. */
  @Test
  void neverFallsBackToAFancierOne() {
    assertThat(IoTransports.choose("epoll", refusing("epoll"))).isSameAs(Transport.NIO);
  }

  /** Verifies that an unknown name is refused with the names that exist. */
  @Test
  void refusesAnUnknownName() {
    assertThatThrownBy(() -> IoTransports.choose("kqueue", refusing()))
        .hasMessageContaining("io_uring, epoll, nio");
  }

  /** Verifies that the configuration accepts exactly the transports this class can choose. */
  @Test
  void theConfigurationOffersTheTransportsThisClassKnows() {
    assertThat(ConfigRules.CHOICES.get("node.ioTransport")).isEqualTo(IoTransports.NAMES);
  }
}

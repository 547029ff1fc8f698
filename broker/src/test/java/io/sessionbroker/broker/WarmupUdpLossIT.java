package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that the start-up rehearsal's UDP devices get through lost datagrams as a real device
 * does (docs/protocol.md, "Repeated hellos"): on a kernel with the default cap on a socket's
 * receive buffer, a round's hellos and pings at once overflowed the broker's, and the rehearsal
 * waited for answers that never came until {@code node.warmupMaxMs} cut it.
 */
@Timeout(120)
class WarmupUdpLossIT {

  /**
   * Given devices that lose one outgoing datagram in five (hellos and pings alike), when the
   * rehearsal runs 1,000 UDP expiries with a minute to do it, then all 1,000 are done, each counted
   * once, well before the bound.
   */
  @Test
  void aRehearsalWhoseDatagramsAreLostStillExpiresEveryDevice() {
    Warmup.Result result =
        Warmup.run(
            Transport.NIO,
            TableOptions.builder().build(),
            List.of(TransportName.UDP),
            1_000,
            60_000,
            transport -> new WarmupUdp(n -> n % 5 == 2));

    assertThat(result.closes()).containsExactlyEntriesOf(Map.of(TransportName.UDP, 1_000));
    assertThat(result.nodeLostCloses()).isEqualTo(1_000);
    assertThat(result.tookMs()).isLessThan(30_000);
  }
}

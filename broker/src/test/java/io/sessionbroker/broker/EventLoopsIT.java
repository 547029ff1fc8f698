package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that a node runs as many event loops as {@code node.eventLoops} says (0: {@link
 * EventLoops#count}), and that its listeners serve devices then.
 */
@Timeout(90)
class EventLoopsIT {

  /**
   * Verifies that {@code node.eventLoops} 3 gives the node's Vert.x three event loops (Vert.x's own
   * default is two per core) and that devices connecting one after another are served.
   */
  @Test
  void aNodeRunsTheConfiguredNumberOfEventLoops() throws Exception {
    // given a node configured for 3 event loops
    try (BrokerHarness harness =
        BrokerHarness.start(conf -> conf.getJsonObject("node").put("eventLoops", 3))) {
      // when devices connect
      List<TcpDevice> devices = new ArrayList<>();
      try {
        for (int i = 0; i < 6; i++) {
          TcpDevice device = harness.tcpDevice();
          devices.add(device);
          assertThat(device.hello("event-loops-3-" + i, 30).getString("type")).isEqualTo("welcome");
        }
        // then the node's Vert.x has exactly 3 event loops, and every device is answered
        assertThat(loops(harness)).isEqualTo(3);
        for (TcpDevice device : devices) {
          device.send(new JsonObject().put("type", "ping"));
          assertThat(device.read(BrokerHarness.WAIT).getString("type")).isEqualTo("pong");
        }
      } finally {
        for (TcpDevice device : devices) {
          device.close();
        }
      }
    }
  }

  /**
   * Verifies that {@code node.eventLoops} 0 (the shipped default) runs {@link EventLoops#count}.
   */
  @Test
  void theDefaultIsTheConfiguredNumberPerCore() throws Exception {
    // given the shipped configuration
    try (BrokerHarness harness = BrokerHarness.start()) {
      // then the node runs PER_CORE loops per core
      assertThat(harness.conf.getJsonObject("node").getInteger("eventLoops")).isZero();
      assertThat(loops(harness))
          .isEqualTo(EventLoops.PER_CORE * Runtime.getRuntime().availableProcessors());
    }
  }

  private static int loops(BrokerHarness harness) {
    Set<Object> loops = new HashSet<>();
    ((VertxInternal) harness.broker.vertx()).nettyEventLoopGroup().forEach(loops::add);
    return loops.size();
  }
}

package io.sessionbroker.bench;

import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionEvents;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;

/**
 * Session tables as the benchmarks use them: the shipped default options, the standalone directory,
 * a direct executor (the benchmark thread plays the table's thread) and events that go nowhere, so
 * the figures are the table's own cost, without event bus serialisation.
 */
final class BenchTables {

  /** Events that are dropped: the event bus cost belongs to the transport benchmarks. */
  static final SessionEvents NO_EVENTS =
      new SessionEvents() {
        @Override
        public void opened(Session session, long at) {}

        @Override
        public void closed(Session session, CloseReason reason, long at) {}

        @Override
        public void rejected(Rejection rejection, long at) {}

        @Override
        public void inbound(Session session, String topic, Object payload, long at) {}
      };

  static final Connection NO_CONNECTION = (session, reason) -> {};

  private BenchTables() {}

  static SessionTable table(Clock clock) {
    return SessionTable.builder(TableOptions.defaults(), clock, "bench")
        .events(NO_EVENTS)
        .executor(Runnable::run)
        .build();
  }

  static OpenRequest udpHello(String deviceId, String remote, long heartbeatMs) {
    return new OpenRequest(deviceId, "udp", remote, heartbeatMs, null, NO_CONNECTION);
  }

  /**
   * Opens a session; with a direct executor and the local directory the future is already complete.
   */
  static Session open(SessionTable table, OpenRequest request) {
    return table.open(request).result();
  }

  static String deviceId(int i) {
    return String.format("device-%07d", i);
  }

  static String remote(int i) {
    return "10."
        + ((i >> 16) & 255)
        + "."
        + ((i >> 8) & 255)
        + "."
        + (i & 255)
        + ":"
        + (20_000 + i % 40_000);
  }
}

package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionEvents;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RejectionsTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<Rejection> published = new ArrayList<>();
  private final UdpStats stats = new UdpStats();
  private final Rejections rejections = new Rejections(table(), stats, 3);

  @Test
  void reportsAtMostTheConfiguredNumberPerSecondAndCountsEveryDrop() {
    for (int i = 0; i < 10; i++) {
      rejections.drop(Drop.BAD_TICKET, "127.0.0.1:1", "d" + i, "wrong ticket");
    }

    assertThat(published).extracting(Rejection::deviceId).containsExactly("d0", "d1", "d2");
    assertThat(stats.dropped(Drop.BAD_TICKET)).isEqualTo(10);
    assertThat(stats.get(Counter.REJECTION_EVENTS)).isEqualTo(3);
    assertThat(stats.get(Counter.REJECTION_EVENTS_SUPPRESSED)).isEqualTo(7);
  }

  @Test
  void saysHowManyWereHeldBackOnceTheNextWindowOpens() {
    for (int i = 0; i < 5; i++) {
      rejections.drop(Drop.MALFORMED, "127.0.0.1:1", null, "not JSON");
    }

    now.addAndGet(1_000);
    rejections.drop(Drop.OVERSIZED, "127.0.0.1:1", null, "too big");

    Rejection last = published.get(published.size() - 1);
    assertThat(last.code()).isEqualTo("frame_too_large");
    assertThat(last.transport()).isEqualTo("udp");
    assertThat(last.message()).isEqualTo("too big (2 earlier rejections not reported)");
  }

  private SessionTable table() {
    SessionEvents events =
        new SessionEvents() {
          @Override
          public void opened(Session session, long at) {}

          @Override
          public void closed(Session session, CloseReason reason, long at) {}

          @Override
          public void rejected(Rejection rejection, long at) {
            published.add(rejection);
          }

          @Override
          public void inbound(Session session, String topic, Object payload, long at) {}
        };
    return SessionTable.builder(TableOptions.defaults(), now::get, "n1")
        .events(events)
        .executor(Runnable::run)
        .build();
  }
}

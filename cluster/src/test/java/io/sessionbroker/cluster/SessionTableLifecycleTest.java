package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import io.sessionbroker.cluster.RecordingEvents.Kind;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies open, close and takeover: exactly one close per opened session, after its opened event.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTableLifecycleTest {

  @Test
  void theFirstCloseReasonWinsAndLaterClosesDoNothing() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);

    // when
    t.table.close(session, CloseReason.CLIENT_CLOSED);
    t.table.close(session, CloseReason.CONNECTION_LOST);
    t.run(5_000);

    // then
    assertThat(t.events.of(session))
        .extracting(Event::kind, Event::reason)
        .containsExactly(
            Tuple.tuple(Kind.OPENED, null), Tuple.tuple(Kind.CLOSED, CloseReason.CLIENT_CLOSED));
    assertThat(t.connectionCloses).containsExactly(CloseReason.CLIENT_CLOSED);
  }

  @Test
  void aNewerSessionTakesOverAndTheOlderIsClosedBeforeTheNewerOpens() {
    // given
    Tables t = new Tables();
    Session older = t.open("sensor-1", 1_000);

    // when
    Session newer = t.open("sensor-1", "tcp", 1_000);

    // then
    assertThat(t.events.events)
        .extracting(Event::kind, Event::session, Event::reason)
        .containsExactly(
            Tuple.tuple(Kind.OPENED, older, null),
            Tuple.tuple(Kind.CLOSED, older, CloseReason.TAKEN_OVER),
            Tuple.tuple(Kind.OPENED, newer, null));
    assertThat(newer.isOpen()).isTrue();
  }

  @Test
  void takeoverThenTimeoutOfTheOlderSessionYieldsExactlyOneClose() {
    // given: the older session is taken over one tick before its deadline
    Tables t = new Tables();
    Session older = t.open("sensor-1", 1_000);
    t.run(1_490);

    // when
    Session newer = t.open("sensor-1", 1_000);
    t.run(1_000);

    // then
    assertThat(t.events.closes())
        .extracting(Event::session, Event::reason)
        .containsExactly(Tuple.tuple(older, CloseReason.TAKEN_OVER));
    assertThat(newer.isOpen()).isTrue();
  }

  @Test
  void timeoutWhileTheTakeoverClaimIsInFlightYieldsExactlyOneClose() {
    // given: the newer session's claim names the older one as previous holder, but its answer is
    // late
    ManualDirectory directory = new ManualDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Future<Session> olderOpen = t.table.open(t.request("sensor-1", "udp", 1_000));
    directory.answer(0);
    Session older = olderOpen.result();
    t.run(1_490);
    Future<Session> newerOpen = t.table.open(t.request("sensor-1", "udp", 1_000));

    // when: the older session times out, then the claim's answer arrives and asks to take it over
    t.run(20);
    directory.answer(0);

    // then
    assertThat(t.events.closes())
        .extracting(Event::session, Event::reason)
        .containsExactly(Tuple.tuple(older, CloseReason.TIMEOUT));
    assertThat(newerOpen.result().isOpen()).isTrue();
    assertThat(t.table.admin().count().result().getInteger("total")).isEqualTo(1);
  }

  @Test
  void aCloseRequestedWhileTheClaimIsPendingYieldsOpenedThenClosed() {
    // given: two hellos of one device whose claims are answered in reverse order, so the older
    // session
    // is asked to close (taken over) while its own claim is still pending
    ManualDirectory directory = new ManualDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Future<Session> olderOpen = t.table.open(t.request("sensor-1", "udp", 1_000));
    Future<Session> newerOpen = t.table.open(t.request("sensor-1", "udp", 1_000));

    // when
    directory.answer(1);
    assertThat(olderOpen.isComplete()).isFalse();
    directory.answer(0);

    // then
    Session older = olderOpen.result();
    Session newer = newerOpen.result();
    assertThat(t.events.of(older))
        .extracting(Event::kind, Event::reason)
        .containsExactly(
            Tuple.tuple(Kind.OPENED, null), Tuple.tuple(Kind.CLOSED, CloseReason.TAKEN_OVER));
    assertThat(t.connectionCloses).containsExactly(CloseReason.TAKEN_OVER);
    assertThat(newer.isOpen()).isTrue();
    assertThat(t.table.admin().get("sensor-1").result().getString("sessionId"))
        .isEqualTo(newer.sessionId());
    assertThat(t.table.shutdown().result()).isEqualTo(1);
    assertThat(t.events.of(newer))
        .extracting(Event::reason)
        .containsExactly(null, CloseReason.SHUTDOWN);
  }

  @Test
  void aFailedClaimOpensNothingAndFailsTheOpen() {
    // given
    ManualDirectory directory = new ManualDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Future<Session> open = t.table.open(t.request("sensor-1", "udp", 1_000));

    // when
    directory.failOldest(new IllegalStateException("cluster gone"));

    // then
    assertThat(open.failed()).isTrue();
    assertThat(t.events.events).isEmpty();
    assertThat(t.table.admin().count().result().getInteger("total")).isZero();
  }

  @Test
  void epochsIncreasePerDeviceAcrossSessions() {
    // given
    Tables t = new Tables();

    // when: closed, reopened, taken over, and another device in between
    Session first = t.open("sensor-1", 1_000);
    t.table.close(first, CloseReason.CLIENT_CLOSED);
    Session other = t.open("sensor-2", 1_000);
    Session second = t.open("sensor-1", 1_000);
    Session third = t.open("sensor-1", 1_000);

    // then
    assertThat(first.epoch()).isEqualTo(1);
    assertThat(second.epoch()).isEqualTo(2);
    assertThat(third.epoch()).isEqualTo(3);
    assertThat(other.epoch()).isEqualTo(1);
  }

  @Test
  void inboundTrafficOfAClosedSessionIsIgnored() {
    // given
    Tables t = new Tables();
    Session session = t.open("sensor-1", 1_000);
    t.table.inbound(session, "t/1", "before");

    // when
    t.table.close(session, CloseReason.CLIENT_CLOSED);
    t.table.inbound(session, "t/1", "after");

    // then
    assertThat(t.events.events)
        .extracting(Event::kind)
        .containsExactly(Kind.OPENED, Kind.INBOUND, Kind.CLOSED);
  }

  /**
   * Verifies that a session the table closes leaves the timing wheel at once, not when its slot
   * comes due: the wheel is the only holder of a closed session, and through it of its connection
   * (issue 17: up to 20.48 s of a closed connection's channel and buffers after a mass close).
   */
  @Test
  void aClosedSessionLeavesTheTimingWheelAtOnce() {
    // given: two sessions of one deadline share a slot
    Tables t = new Tables();
    Session closing = t.open("sensor-1", 1_000);
    Session staying = t.open("sensor-2", 1_000);
    assertThat(closing.wheelSlot).isNotNegative();

    // when
    t.table.close(closing, CloseReason.CLIENT_CLOSED);
    t.run(5);

    // then: out of its slot, and the other session links to it no more
    assertThat(closing.wheelSlot).isEqualTo(-1);
    assertThat(closing.wheelNext).isNull();
    assertThat(staying.wheelNext).isNotSameAs(closing);
    assertThat(staying.wheelPrev).isNotSameAs(closing);
    assertThat(t.connectionCloses).containsExactly(CloseReason.CLIENT_CLOSED);
  }
}

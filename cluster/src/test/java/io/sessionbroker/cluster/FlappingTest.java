package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verifies flapping detection told the time: the EMQX-style fixed window, the ban's end, lifting,
 * which close reasons count, and that a banned device's open is refused by the table.
 */
class FlappingTest {

  private final Flapping flapping = new Flapping(15, 60_000, 300_000);

  /** Verifies that the sixteenth disconnect within a minute bans the device for five minutes. */
  @Test
  void theSixteenthDisconnectWithinTheWindowBansForTheBanTime() {
    // given: fifteen disconnects, one a second
    for (int i = 0; i < 15; i++) {
      assertThat(flapping.disconnected("d-1", 1_000L * i)).isZero();
    }
    assertThat(flapping.bannedUntil("d-1", 15_000)).isZero();

    // when
    long until = flapping.disconnected("d-1", 15_000);

    // then
    assertThat(until).isEqualTo(315_000);
    assertThat(flapping.bannedUntil("d-1", 314_999)).isEqualTo(315_000);
    assertThat(flapping.bannedUntil("d-1", 315_000)).isZero();
    assertThat(flapping.bannedUntil("d-2", 20_000)).isZero();
  }

  /** Verifies that a disconnect after the window has passed starts a new window at one. */
  @Test
  void aDisconnectAfterTheWindowStartsANewOne() {
    // given
    for (int i = 0; i < 15; i++) {
      flapping.disconnected("d-1", 1_000L * i);
    }

    // when: the sixteenth comes when the window that started at 0 has passed
    long until = flapping.disconnected("d-1", 60_000);

    // then
    assertThat(until).isZero();
    for (int i = 1; i < 15; i++) {
      assertThat(flapping.disconnected("d-1", 60_000 + i)).isZero();
    }
    assertThat(flapping.disconnected("d-1", 60_015)).isEqualTo(360_015);
  }

  /** Verifies that a lifted ban is gone and the device starts counting from zero again. */
  @Test
  void liftingABanForgetsItAndTheDisconnects() {
    // given
    for (int i = 0; i <= 15; i++) {
      flapping.disconnected("d-1", i);
    }
    assertThat(flapping.bans(20)).isEqualTo(Map.of("d-1", 300_015L));

    // when
    boolean lifted = flapping.lift("d-1", 20);

    // then
    assertThat(lifted).isTrue();
    assertThat(flapping.bannedUntil("d-1", 21)).isZero();
    assertThat(flapping.bans(21)).isEmpty();
    assertThat(flapping.disconnected("d-1", 22)).isZero();
    assertThat(flapping.lift("d-1", 23)).isFalse();
  }

  /** Verifies that an ended ban is no longer listed. */
  @Test
  void anEndedBanIsNotListed() {
    for (int i = 0; i <= 15; i++) {
      flapping.disconnected("d-1", i);
    }
    assertThat(flapping.bans(300_014)).containsOnlyKeys("d-1");
    assertThat(flapping.bans(300_015)).isEmpty();
  }

  /** Verifies that detection with maxDisconnects 0 never bans. */
  @Test
  void zeroMaxDisconnectsIsOff() {
    Flapping off = new Flapping(0, 60_000, 300_000);
    for (int i = 0; i < 1_000; i++) {
      assertThat(off.disconnected("d-1", i)).isZero();
    }
    assertThat(off.enabled()).isFalse();
  }

  /** Verifies that the operator's and the broker's own closes do not count, the device's do. */
  @Test
  void kickedShutdownAndNodeLostDoNotCount() {
    assertThat(Flapping.counts(CloseReason.KICKED)).isFalse();
    assertThat(Flapping.counts(CloseReason.SHUTDOWN)).isFalse();
    assertThat(Flapping.counts(CloseReason.NODE_LOST)).isFalse();
    assertThat(Flapping.counts(CloseReason.CLIENT_CLOSED)).isTrue();
    assertThat(Flapping.counts(CloseReason.CONNECTION_LOST)).isTrue();
    assertThat(Flapping.counts(CloseReason.TAKEN_OVER)).isTrue();
    assertThat(Flapping.counts(CloseReason.TIMEOUT)).isTrue();
    assertThat(Flapping.counts(CloseReason.PROTOCOL_ERROR)).isTrue();
  }

  /**
   * Verifies that the table counts its closes and refuses a banned device's open with {@link
   * DeviceBanned}, and that kicks do not count.
   */
  @Test
  void theTableRefusesABannedDevice() {
    // given: a table that bans after more than 2 disconnects within a second
    FakeClock clock = new FakeClock();
    SessionTable table =
        SessionTable.builder(Tables.OPTIONS, clock, "node-a")
            .events(new RecordingEvents())
            .executor(Runnable::run)
            .flapping(new Flapping(2, 1_000, 5_000))
            .build();
    for (int i = 0; i < 3; i++) {
      Session kicked = open(table, "d-kicked");
      table.close(kicked, CloseReason.KICKED);
    }
    for (int i = 0; i < 3; i++) {
      Session session = open(table, "d-flaps");
      table.close(session, CloseReason.CLIENT_CLOSED);
    }

    // when
    var refused = table.open(request("d-flaps"));
    var kickedAgain = table.open(request("d-kicked"));

    // then
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).isInstanceOf(DeviceBanned.class);
    assertThat(((DeviceBanned) refused.cause()).untilMs()).isEqualTo(clock.millis() + 5_000);
    assertThat(kickedAgain.succeeded()).isTrue();
    assertThat(table.flapping().bans(clock.millis())).containsOnlyKeys("d-flaps");
  }

  /**
   * Verifies that the disconnect that bans a device is counted before its close is announced: a
   * back end or the device itself that sees the close and reconnects at once is refused, not
   * welcomed (the open checks the ban on the transport's thread, not the table's).
   */
  @Test
  void theBanIsInForceWhenTheCloseThatStartedItIsAnnounced() {
    // given: a table that bans after more than 2 disconnects, whose events note the ban they see
    FakeClock clock = new FakeClock();
    Flapping flapping = new Flapping(2, 1_000, 5_000);
    List<Long> banSeenAtClose = new ArrayList<>();
    SessionEvents events =
        new SessionEvents() {
          @Override
          public void opened(Session session, long at) {}

          @Override
          public void closed(Session session, CloseReason reason, long at) {
            banSeenAtClose.add(flapping.bannedUntil(session.deviceId(), at));
          }

          @Override
          public void rejected(Rejection rejection, long at) {}

          @Override
          public void inbound(Session session, String topic, Object payload, long at) {}
        };
    SessionTable table =
        SessionTable.builder(Tables.OPTIONS, clock, "node-a")
            .events(events)
            .executor(Runnable::run)
            .flapping(flapping)
            .build();

    // when: the device disconnects three times
    for (int i = 0; i < 3; i++) {
      table.close(open(table, "d-flaps"), CloseReason.CLIENT_CLOSED);
    }

    // then: the third close was announced with its ban already in force
    assertThat(banSeenAtClose).containsExactly(0L, 0L, clock.millis() + 5_000);
  }

  private static Session open(SessionTable table, String deviceId) {
    return table.open(request(deviceId)).result();
  }

  private static OpenRequest request(String deviceId) {
    return new OpenRequest(deviceId, "tcp", "127.0.0.1:5000", 1_000, null, (s, r) -> {});
  }
}

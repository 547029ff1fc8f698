package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verifies the paths of the table that only a cluster takes (a takeover from another node, a close
 * by session id, settling after a split brain) and the table's queries, on a fake clock with a
 * direct executor.
 */
class SessionTableClusterPathsTest {

  /**
   * Verifies that a device held by another node is taken over through the remote takeover, not
   * closed here.
   */
  @Test
  void aDeviceHeldByAnotherNodeIsTakenOverRemotely() {
    // given: a directory that names a session of node-b as the device's previous holder
    DeviceDirectory directory =
        new DeviceDirectory() {
          @Override
          public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
            return Future.succeededFuture(new Claim(2, new Holder(77, "node-b")));
          }

          @Override
          public Future<Boolean> release(String deviceId, long sessionId) {
            return Future.succeededFuture(true);
          }

          @Override
          public Future<Holder> holder(String deviceId) {
            return Future.succeededFuture(new Holder(77, "node-b"));
          }
        };
    Tables t = new Tables(Tables.OPTIONS, directory);
    List<String> takeovers = new ArrayList<>();
    t.remoteTakeover =
        ((holder, deviceId) ->
            takeovers.add(holder.nodeId() + "/" + holder.sessionId() + "/" + deviceId));

    // when
    Session session = t.open("remote-1", 1_000);

    // then
    assertThat(takeovers).containsExactly("node-b/77/remote-1");
    assertThat(session.isOpen()).isTrue();
    assertThat(session.epoch()).isEqualTo(2);
    assertThat(t.events.closes()).isEmpty();
  }

  /**
   * Verifies that a close by session id ends that session with the reason given, and an unknown id
   * nothing.
   */
  @Test
  void aCloseBySessionIdEndsThatSessionOnly() {
    // given
    Tables t = new Tables();
    Session target = t.open("byid-1", 1_000);
    Session other = t.open("byid-2", 1_000);

    // when
    t.table.close(target.id(), CloseReason.TAKEN_OVER);
    t.table.close(12_345L, CloseReason.TAKEN_OVER);

    // then
    assertThat(t.events.closes())
        .singleElement()
        .satisfies(e -> assertThat(e.session()).isSameAs(target))
        .extracting(Event::reason)
        .isEqualTo(CloseReason.TAKEN_OVER);
    assertThat(t.connectionCloses).containsExactly(CloseReason.TAKEN_OVER);
    assertThat(other.isOpen()).isTrue();
  }

  /**
   * Verifies that after a split brain heals, the orphans this node still holds end with their
   * closes withheld, and settling announces only the one the directory still owes: the majority's
   * NODE_LOST stays the only close of a session it announced.
   */
  @Test
  void settlingAfterAMergeEndsOrphansAndAnnouncesOnlyThoseTheDirectoryStillOwes() {
    // given
    LocalDirectory directory = new LocalDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session announcedByMajority = t.open("merge-old", 1_000);
    directory.release("merge-old", announcedByMajority.id()); // the majority's NODE_LOST
    t.logClose(announcedByMajority, CloseReason.NODE_LOST, "node-b");
    Session stillOwed = t.open("merge-owed", 1_000);
    Session notAnOrphan = t.open("merge-kept", 1_000);
    Session alreadyClosed = t.open("merge-closed", 1_000);
    t.table.close(alreadyClosed, CloseReason.CLIENT_CLOSED);
    t.connectionCloses.clear();
    int closesBefore = t.events.closes().size();

    // when
    int ended =
        t.table
            .cutOff()
            .settleAfterMerge(
                Map.of(
                    announcedByMajority.id(),
                    CloseReason.NODE_LOST,
                    stillOwed.id(),
                    CloseReason.NODE_LOST,
                    alreadyClosed.id(),
                    CloseReason.NODE_LOST,
                    999L,
                    CloseReason.NODE_LOST))
            .result();
    int announced = t.table.cutOff().settleWithheld(true).result();

    // then
    assertThat(ended).isEqualTo(2);
    assertThat(announced).isEqualTo(1);
    assertThat(t.events.closes().subList(closesBefore, t.events.closes().size()))
        .singleElement()
        .satisfies(e -> assertThat(e.session()).isSameAs(stillOwed))
        .extracting(Event::reason)
        .isEqualTo(CloseReason.NODE_LOST);
    assertThat(t.connectionCloses).containsExactly(CloseReason.NODE_LOST, CloseReason.NODE_LOST);
    assertThat(announcedByMajority.isOpen()).isFalse();
    assertThat(t.table.admin().get("merge-old").result()).isNull();
    assertThat(notAnOrphan.isOpen()).isTrue();
  }

  /** Verifies that sessions() is a snapshot of the open sessions. */
  @Test
  void sessionsListsTheOpenSessionsOnly() {
    // given
    Tables t = new Tables();
    Session a = t.open("snap-1", 1_000);
    Session b = t.open("snap-2", 1_000);
    t.table.close(t.open("snap-3", 1_000), CloseReason.CLIENT_CLOSED);

    // when
    List<Session> sessions = t.table.sessions().result();

    // then
    assertThat(sessions).containsExactlyInAnyOrder(a, b);
  }

  /** Verifies that get shows when the session connected and when it was last seen. */
  @Test
  void getShowsConnectedAtAndLastSeenAt() {
    // given
    Tables t = new Tables();
    long openedAt = t.clock.millis();
    t.open("times-1", 1_000);
    t.clock.advance(300);
    Session session = t.table.sessions().result().get(0);
    t.table.touch(session);

    // when
    JsonObject json = t.table.admin().get("times-1").result();

    // then
    assertThat(json.getLong("connectedAt")).isEqualTo(openedAt);
    assertThat(json.getLong("lastSeenAt")).isEqualTo(openedAt + 300);
  }

  /**
   * Verifies that a session opened without an address, over a connection that tracks none, has
   * none.
   */
  @Test
  void aSessionWithoutAnAddressAnywhereHasNone() {
    // given
    Tables t = new Tables();

    // when
    Session session =
        t.table.open(new OpenRequest("nowhere-1", "udp", null, 1_000, null, (s, r) -> {})).result();

    // then
    assertThat(session.remote()).isNull();
    assertThat(t.table.admin().get("nowhere-1").result().getValue("remote")).isNull();
  }

  /**
   * Verifies that a query that throws on the table's thread fails its future instead of leaving it
   * pending.
   */
  @Test
  void aQueryThatThrowsFailsItsFuture() {
    // given
    Tables t = new Tables();

    // when
    Future<JsonObject> lookup = t.table.admin().get(null);

    // then
    assertThat(lookup.failed()).isTrue();
    assertThat(lookup.cause()).isInstanceOf(NullPointerException.class);
  }

  /** Verifies that the table reports what it was built with. */
  @Test
  void reportsItsOptionsNodeAndClock() {
    Tables t = new Tables();

    assertThat(t.table.options()).isSameAs(Tables.OPTIONS);
    assertThat(t.table.nodeId()).isEqualTo("node-a");
    assertThat(t.table.clock()).isSameAs(t.clock);
  }
}

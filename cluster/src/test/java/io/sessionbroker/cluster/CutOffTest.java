package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.RecordingEvents.Event;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verifies what a table does while its node is cut off from the cluster's quorum ({@link
 * Fence#cutOff}, docs/cluster.md "Split brain"): it withholds every close, since only the cluster's
 * directory can tell whether the majority already announced the session ({@code NODE_LOST}), and
 * announces, once the quorum is back, exactly the closes the directory still owes. DESIGN.md §3
 * invariant 2: every opened session gets exactly one closed event.
 */
class CutOffTest {

  /**
   * Verifies that closes made while cut off are not published, and that settling them publishes
   * those whose sessions the directory still names and keeps silent the one the majority released.
   */
  @Test
  void closesWhileCutOffWaitForTheQuorumAndOnlyThoseNobodyAnnouncedGoOut() {
    // given: three sessions; the majority announced one of them (released its entry) meanwhile
    LocalDirectory directory = new LocalDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session byDevice = t.open("cut-device", 1_000);
    Session announcedByMajority = t.open("cut-majority", 1_000);
    Session owed = t.open("cut-owed", 1_000);
    int closesBefore = t.events.closes().size();
    t.table.fence().cutOff();

    // when: the device leaves, the node ends the rest, the majority had released one
    t.table.close(byDevice, CloseReason.CLIENT_CLOSED);
    directory.release("cut-majority", announcedByMajority.id());
    t.logClose(announcedByMajority, CloseReason.NODE_LOST, "node-b");
    int ended = t.table.cutOff().endAll(CloseReason.NODE_LOST).result();

    // then: nothing is published while cut off
    assertThat(ended).isEqualTo(2);
    assertThat(t.events.closes()).hasSize(closesBefore);
    assertThat(t.connectionCloses)
        .containsExactly(CloseReason.CLIENT_CLOSED, CloseReason.NODE_LOST, CloseReason.NODE_LOST);
    assertThat(t.table.cutOff().withheldCount().result()).isEqualTo(3);

    // when: the quorum is back
    t.table.fence().lower();
    int announced = t.table.cutOff().settleWithheld(true).result();

    // then: one close each for the sessions nobody announced, none for the majority's
    List<Event> published = t.events.closes().subList(closesBefore, t.events.closes().size());
    assertThat(announced).isEqualTo(2);
    assertThat(published).extracting(Event::session).containsExactly(byDevice, owed);
    assertThat(published)
        .extracting(Event::reason)
        .containsExactly(CloseReason.CLIENT_CLOSED, CloseReason.NODE_LOST);
    assertThat(t.table.cutOff().withheldCount().result()).isZero();
    assertThat(t.table.cutOff().settleWithheld(true).result()).isZero();
  }

  /**
   * Verifies that a cut-off node's graceful stop publishes no SHUTDOWN close: the majority
   * announced its sessions NODE_LOST, and a second close would break "exactly one".
   */
  @Test
  void aCutOffNodeStoppingPublishesNoClose() {
    // given
    Tables t = new Tables();
    t.open("cut-stop-1", 1_000);
    t.open("cut-stop-2", 1_000);
    int closesBefore = t.events.closes().size();
    t.table.fence().cutOff();

    // when
    int closed = t.table.shutdown().result();

    // then
    assertThat(closed).isEqualTo(2);
    assertThat(t.events.closes()).hasSize(closesBefore);
    assertThat(t.connectionCloses).containsExactly(CloseReason.SHUTDOWN, CloseReason.SHUTDOWN);
  }

  /**
   * Verifies that a node which rejoined but has not settled its merge yet, stopped then, announces
   * SHUTDOWN only for the sessions the directory still names: the one the majority released (and
   * announced NODE_LOST) while the node was frozen gets no second close. Found by the long chaos
   * run (a SIGTERM seconds after a freeze: 1,034 sessions closed NODE_LOST then SHUTDOWN).
   */
  @Test
  void aStopRightAfterRejoiningAnnouncesOnlyTheSessionsTheDirectoryStillNames() {
    // given: two sessions; while this node was frozen the majority released one of them
    LocalDirectory directory = new LocalDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session announcedByMajority = t.open("rejoined-lost", 1_000);
    Session still = t.open("rejoined-held", 1_000);
    int closesBefore = t.events.closes().size();
    directory.release("rejoined-lost", announcedByMajority.id());

    // when: the node, back in the cluster and not cut off, is stopped
    int closed = t.table.shutdown().result();

    // then: both connections end, one SHUTDOWN is announced, for the session still owed
    assertThat(closed).isEqualTo(2);
    assertThat(t.connectionCloses).containsExactly(CloseReason.SHUTDOWN, CloseReason.SHUTDOWN);
    List<Event> published = t.events.closes().subList(closesBefore, t.events.closes().size());
    assertThat(published).extracting(Event::session).containsExactly(still);
    assertThat(published).extracting(Event::reason).containsExactly(CloseReason.SHUTDOWN);
  }

  /**
   * Verifies that a node whose half merged announces the close of a session it ends because the
   * merged directory no longer names it, when no node announced it: the directory lost track of it,
   * the event log has no close for it, so this close is its only one. Found by {@code ChaosIT} (83
   * sessions of a node that was never counted lost ended after a merge with no close anywhere).
   * DESIGN.md §3 invariant 2.
   */
  @Test
  void afterAMergeASessionNobodyClosedGetsItsCloseThoughTheDirectoryLostIt() {
    // given: a session whose entry the merged directory no longer has, and no close in the log
    LocalDirectory directory = new LocalDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session lost = t.open("merge-lost-track", 1_000);
    directory.release("merge-lost-track", lost.id());
    int closesBefore = t.events.closes().size();

    // when: the merge settles
    int ended =
        t.table.cutOff().settleAfterMerge(Map.of(lost.id(), CloseReason.NODE_LOST)).result();
    int announced = t.table.cutOff().settleWithheld(true).result();

    // then: its one close goes out
    assertThat(ended).isEqualTo(1);
    assertThat(announced).isEqualTo(1);
    assertThat(t.events.closes().subList(closesBefore, t.events.closes().size()))
        .singleElement()
        .satisfies(e -> assertThat(e.session()).isSameAs(lost))
        .extracting(Event::reason)
        .isEqualTo(CloseReason.NODE_LOST);
  }

  /**
   * Verifies that a withheld close is not announced after a merge when the event log already has a
   * close of that session, even if the merged directory still names it: the majority announced it
   * {@code NODE_LOST} while this node was cut off. Found by the long chaos run (645 sessions closed
   * {@code NODE_LOST} twice after a 10.6 s partition). DESIGN.md §3 invariant 2.
   */
  @Test
  void afterAMergeACloseAlreadyInTheLogIsNotAnnouncedAgainThoughTheDirectoryStillNamesIt() {
    // given: a cut-off node's session, announced by the majority, still named by the directory
    LocalDirectory directory = new LocalDirectory();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session announcedByMajority = t.open("merge-twice", 1_000);
    Session nobodyAnnounced = t.open("merge-once", 1_000);
    int closesBefore = t.events.closes().size();
    t.table.fence().cutOff();
    t.table.cutOff().endAll(CloseReason.NODE_LOST).result();
    t.logClose(announcedByMajority, CloseReason.NODE_LOST, "node-b");

    // when: the quorum is back after the merge
    t.table.fence().lower();
    int announced = t.table.cutOff().settleWithheld(true).result();

    // then: only the session nobody announced gets a close from here
    assertThat(announced).isEqualTo(1);
    assertThat(t.events.closes().subList(closesBefore, t.events.closes().size()))
        .extracting(Event::session)
        .containsExactly(nobodyAnnounced);
    assertThat(directory.holder("merge-twice").result()).isNull();
  }

  /**
   * Verifies that a settle after a merge announces nothing if the node is cut off again before its
   * directory marks answer: the log it read may lack the majority's {@code NODE_LOST} of the next
   * split, so the closes stay withheld, and the next settle with a quorum announces only the one
   * nobody announced. Found by the long chaos run, seed 101 (8 sessions closed {@code NODE_LOST}
   * twice: a rejoin's settle completing on a node cut off again). DESIGN.md §3 invariant 2.
   */
  @Test
  void aSettleCutOffAgainBeforeItsMarksAnswerAnnouncesNothingUntilTheNextQuorum() {
    // given: two withheld closes; the directory's marks answer only when the test says so
    HeldMarks directory = new HeldMarks();
    Tables t = new Tables(Tables.OPTIONS, directory);
    Session announcedByMajority = t.open("settle-again-majority", 1_000);
    Session nobodyAnnounced = t.open("settle-again-nobody", 1_000);
    int closesBefore = t.events.closes().size();
    t.table.fence().cutOff();
    t.table.cutOff().endAll(CloseReason.NODE_LOST).result();
    t.table.fence().lower();

    // when: the settle has read the log and marked, and the node is cut off before the answers
    Future<Integer> settling = t.table.cutOff().settleWithheld(true);
    t.table.fence().cutOff();
    directory.answerAll();

    // then: nothing is announced, both closes are kept
    assertThat(settling.result()).isZero();
    assertThat(t.events.closes()).hasSize(closesBefore);
    assertThat(t.table.cutOff().withheldCount().result()).isEqualTo(2);

    // when: the majority's close is in the log, and the quorum is back
    t.logClose(announcedByMajority, CloseReason.NODE_LOST, "node-b");
    t.table.fence().lower();
    Future<Integer> next = t.table.cutOff().settleWithheld(true);
    directory.answerAll();

    // then: the one nobody announced gets its close, the other stays silent
    assertThat(next.result()).isEqualTo(1);
    assertThat(t.events.closes().subList(closesBefore, t.events.closes().size()))
        .extracting(Event::session)
        .containsExactly(nobodyAnnounced);
    assertThat(t.table.cutOff().withheldCount().result()).isZero();
  }

  /** A directory whose {@code closing} marks answer when the test says so. */
  private static final class HeldMarks implements DeviceDirectory {
    private final LocalDirectory store = new LocalDirectory();
    private final List<Runnable> pending = new ArrayList<>();

    @Override
    public Future<Claim> claim(String deviceId, long sessionId, String nodeId) {
      return store.claim(deviceId, sessionId, nodeId);
    }

    @Override
    public Future<Boolean> release(String deviceId, long sessionId) {
      return store.release(deviceId, sessionId);
    }

    @Override
    public Future<Boolean> closing(String deviceId, long sessionId) {
      Promise<Boolean> answer = Promise.promise();
      pending.add(() -> store.closing(deviceId, sessionId).onComplete(answer));
      return answer.future();
    }

    @Override
    public Future<Holder> holder(String deviceId) {
      return store.holder(deviceId);
    }

    void answerAll() {
      List<Runnable> answers = new ArrayList<>(pending);
      pending.clear();
      answers.forEach(Runnable::run);
    }
  }

  /**
   * Verifies that a cut-off node publishes no rejection either: its copy of the event log is its
   * own, so the event would carry a {@code seq} the majority also gives out (PartitionIT saw a
   * cut-off node's {@code unavailable} rejection numbered 0 after the majority's 8). The device is
   * still answered by its transport.
   */
  @Test
  void aCutOffNodePublishesNoRejection() {
    // given
    Tables t = new Tables();
    t.table.fence().cutOff();

    // when
    t.table.reject(new Rejection("tcp", "127.0.0.1:4000", "cut-refused", "unavailable", "cut off"));

    // then
    assertThat(t.events.events).isEmpty();
  }

  /** Verifies that a fence raised without cutting off (refusing only) still announces closes. */
  @Test
  void aRaisedFenceAloneStillAnnouncesCloses() {
    // given
    Tables t = new Tables();
    Session session = t.open("cut-raised", 1_000);
    t.table.fence().raise();

    // when
    t.table.close(session, CloseReason.CLIENT_CLOSED);

    // then
    assertThat(t.events.of(session)).extracting(Event::reason).endsWith(CloseReason.CLIENT_CLOSED);
  }
}

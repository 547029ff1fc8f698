package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.sessionbroker.cluster.DeviceDirectory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies the directory's atomic steps across real Hazelcast members in one JVM (built from the
 * shipped conf/cluster.xml): claim races, conditional release, and node-loss cleanup with exactly
 * one winner.
 */
@Timeout(120)
class HazelcastDirectoryIT {

  private static final Members members = new Members();
  private static List<HazelcastInstance> cluster;
  private static List<HazelcastDirectory> directories;

  @BeforeAll
  static void startThreeMembers() {
    cluster = members.start(3);
    directories = cluster.stream().map(HazelcastDirectory::new).toList();
  }

  @AfterAll
  static void stopMembers() {
    members.close();
  }

  private static long sessionOf(int i) {
    return 1_000 + i;
  }

  @Test
  void concurrentClaimsOnDifferentMembersGetIncreasingEpochsAndEachSeesItsPredecessor()
      throws Exception {
    // given
    int claims = 24;
    ExecutorService threads = Executors.newFixedThreadPool(claims);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<DeviceDirectory.Claim>> results = new ArrayList<>();
    for (int i = 0; i < claims; i++) {
      HazelcastDirectory directory = directories.get(i % 3);
      long session = sessionOf(i);
      String node = "node-" + (i % 3);
      results.add(
          threads.submit(
              () -> {
                go.await();
                return directory
                    .claim("race-device", session, node)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
              }));
    }

    // when
    go.countDown();
    Map<Long, DeviceDirectory.Claim> bySession = new HashMap<>();
    for (int i = 0; i < claims; i++) {
      bySession.put(sessionOf(i), results.get(i).get(20, TimeUnit.SECONDS));
    }
    threads.shutdown();

    // then: epochs 1..N, each claim's previous holder is the claim of the epoch before
    List<Map.Entry<Long, DeviceDirectory.Claim>> ordered = new ArrayList<>(bySession.entrySet());
    ordered.sort(Comparator.comparingLong(e -> e.getValue().epoch()));
    for (int k = 0; k < ordered.size(); k++) {
      DeviceDirectory.Claim claim = ordered.get(k).getValue();
      assertThat(claim.epoch()).isEqualTo(k + 1);
      if (k == 0) {
        assertThat(claim.previous()).isNull();
      } else {
        assertThat(claim.previous().sessionId()).isEqualTo(ordered.get(k - 1).getKey());
      }
    }
    DirectoryEntry last = await(directories.get(1).entry("race-device"));
    assertThat(last.sessionId).isEqualTo(ordered.get(claims - 1).getKey());
    assertThat(last.owed).hasSize(claims - 1);
  }

  /**
   * Verifies that a claim run a second time answers as its first run did and changes nothing:
   * Hazelcast runs an operation again when the member it was sent to leaves or its partition moves,
   * even if the first run was applied (seen in ClusterIT's SIGKILL test: a device reconnecting
   * while its old node died took over its own new session, closed TAKEN_OVER at once).
   */
  @Test
  void aClaimRunTwiceAnswersAsItsFirstRunAndChangesNothing() throws Exception {
    // given: s1 holds the device; s2 claims it
    await(directories.get(0).claim("twice-device", 1, "node-0"));
    DeviceDirectory.Claim first = await(directories.get(1).claim("twice-device", 2, "node-1"));

    // when: the same claim runs again
    DeviceDirectory.Claim again = await(directories.get(1).claim("twice-device", 2, "node-1"));

    // then: same epoch, same previous holder (s1, not s2 itself); s2 holds, s1 is owed its close
    // once
    assertThat(again).isEqualTo(first);
    assertThat(again.epoch()).isEqualTo(2);
    assertThat(again.previous()).isEqualTo(new DeviceDirectory.Holder(1, "node-0"));
    DirectoryEntry entry = await(directories.get(2).entry("twice-device"));
    assertThat(entry.sessionId).isEqualTo(2);
    assertThat(entry.epoch).isEqualTo(2);
    assertThat(entry.owed).extracting(owed -> owed.sessionId).containsExactly(1L);

    // and a first claim run twice has no previous holder either time
    DeviceDirectory.Claim fresh = await(directories.get(0).claim("twice-fresh", 3, "node-0"));
    assertThat(await(directories.get(2).claim("twice-fresh", 3, "node-0"))).isEqualTo(fresh);
    assertThat(fresh.previous()).isNull();
  }

  @Test
  void aStaleReleaseNeverRemovesTheSuccessor() throws Exception {
    // given: s1 on member 0, taken over by s2 on member 1
    await(directories.get(0).claim("stale-device", 1, "node-0"));
    await(directories.get(1).claim("stale-device", 2, "node-1"));

    // when: the old holder's node confirms its close late, twice
    boolean first = await(directories.get(0).release("stale-device", 1));
    boolean again = await(directories.get(2).release("stale-device", 1));

    // then: its owed close is cleared once; the successor still holds the device
    assertThat(first).isTrue();
    assertThat(again).isFalse();
    DirectoryEntry entry = await(directories.get(2).entry("stale-device"));
    assertThat(entry.sessionId).isEqualTo(2);
    assertThat(entry.epoch).isEqualTo(2);
    assertThat(entry.owed).isEmpty();

    // and the successor's own release leaves a tombstone that keeps the epoch
    assertThat(await(directories.get(0).release("stale-device", 2))).isTrue();
    DirectoryEntry tombstone = await(directories.get(1).entry("stale-device"));
    assertThat(tombstone.isHeld()).isFalse();
    assertThat(await(directories.get(1).claim("stale-device", 3, "node-1")).epoch()).isEqualTo(3);
  }

  /**
   * Verifies that a stop's batch calls ({@link HazelcastDirectory#closingAll}, {@link
   * HazelcastDirectory#releaseAll}) act on each entry as the single calls do: the mark names only
   * the sessions the directory still names (holder or owed a close), marks them {@code closing},
   * and the release removes exactly those, leaving a successor's hold and epoch untouched.
   */
  @Test
  void aStopsBatchMarksAndReleasesOnlyTheSessionsTheDirectoryStillNames() throws Exception {
    // given: 200 devices held by node-0; 20 of them taken over by node-1 (owed a close), 10 of
    // them released already (tombstones), and one device asked about under a wrong session id
    Map<Long, String> stopping = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      await(directories.get(0).claim("stop-" + i, 40_000 + i, "node-0"));
      stopping.put(40_000L + i, "stop-" + i);
    }
    for (int i = 0; i < 20; i++) {
      await(directories.get(1).claim("stop-" + i, 50_000 + i, "node-1"));
    }
    for (int i = 20; i < 30; i++) {
      await(directories.get(0).release("stop-" + i, 40_000 + i));
    }
    stopping.put(99_999L, "stop-199");

    // when: the stopping node marks them all, then releases them all
    Set<Long> marked = await(directories.get(0).closingAll(stopping));
    DirectoryEntry owedMarked = await(directories.get(2).entry("stop-3"));
    DirectoryEntry heldMarked = await(directories.get(2).entry("stop-77"));
    int released = await(directories.get(1).releaseAll(stopping));

    // then: the 190 it still held or was owed are marked, then released; the successors hold
    assertThat(marked).hasSize(190).doesNotContain(40_020L, 40_029L, 99_999L);
    assertThat(heldMarked.closing).isTrue();
    assertThat(owedMarked.owed)
        .singleElement()
        .satisfies(owed -> assertThat(owed.closing).isTrue());
    assertThat(released).isEqualTo(190);
    for (int i = 0; i < 200; i++) {
      DirectoryEntry entry = await(directories.get(2).entry("stop-" + i));
      assertThat(entry.owed).isEmpty();
      assertThat(entry.isHeld()).isEqualTo(i < 20);
    }
    assertThat(await(directories.get(2).entry("stop-5")).sessionId).isEqualTo(50_005);
    assertThat(await(directories.get(2).entry("stop-5")).closing).isFalse();
  }

  /**
   * Verifies that two survivors releasing a lost member's entries at the same time, each by its
   * groups of partitions as {@code NodeLossWatch} does ({@link HazelcastDirectory#releaseGroups}),
   * get each of its sessions back exactly once between them, owed closes included, and nothing
   * else.
   */
  @Test
  void survivorsReleasingALostNodeConcurrentlyGetEachSessionExactlyOnce() throws Exception {
    // given: a fourth member holds 300 devices, 50 of which reconnected to a survivor before the
    // loss was
    // noticed (their old session is owed a close); a survivor holds 20 devices of its own
    HazelcastInstance doomed = members.startOne();
    HazelcastDirectory doomedDirectory = new HazelcastDirectory(doomed);
    String lost = doomed.getCluster().getLocalMember().getUuid().toString();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      await(doomedDirectory.claim("lost-" + i, 10_000 + i, lost));
      expected.add("lost-" + i + "/" + (10_000 + i));
    }
    for (int i = 0; i < 50; i++) {
      await(directories.get(0).claim("lost-" + i, 20_000 + i, "survivor-0"));
    }
    for (int i = 0; i < 20; i++) {
      await(directories.get(1).claim("kept-" + i, 30_000 + i, "survivor-1"));
    }

    // when: the member dies and two survivors release its entries at the same time
    doomed.getLifecycleService().terminate();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    Callable<Map<String, ? extends List<DirectoryEntry>>> release0 =
        () -> {
          go.await();
          return releaseByGroups(directories.get(0), lost);
        };
    Callable<Map<String, ? extends List<DirectoryEntry>>> release1 =
        () -> {
          go.await();
          return releaseByGroups(directories.get(1), lost);
        };
    Future<Map<String, ? extends List<DirectoryEntry>>> a = threads.submit(release0);
    Future<Map<String, ? extends List<DirectoryEntry>>> b = threads.submit(release1);
    go.countDown();
    List<String> announced = new ArrayList<>();
    collect(a.get(60, TimeUnit.SECONDS), announced);
    collect(b.get(60, TimeUnit.SECONDS), announced);
    threads.shutdown();

    // then: every lost session once, nothing else; survivors' holders untouched
    assertThat(announced).hasSize(300).doesNotHaveDuplicates();
    assertThat(new HashSet<>(announced)).isEqualTo(expected);
    assertThat(directories.get(0).releaseNode(lost)).isEmpty();
    for (int i = 0; i < 50; i++) {
      DirectoryEntry reconnected = await(directories.get(2).entry("lost-" + i));
      assertThat(reconnected.sessionId).isEqualTo(20_000 + i);
      assertThat(reconnected.owed).isEmpty();
    }
    assertThat(await(directories.get(2).entry("kept-7")).sessionId).isEqualTo(30_007);
    assertThat(await(directories.get(2).entry("lost-99")).isHeld()).isFalse();
  }

  /** Releases {@code lost}'s entries a group of partitions at a time, the groups at once. */
  private static Map<String, List<DirectoryEntry>> releaseByGroups(
      HazelcastDirectory directory, String lost) throws Exception {
    List<Set<String>> groups = directory.releaseGroups();
    ExecutorService threads = Executors.newFixedThreadPool(groups.size());
    try {
      List<Future<Map<String, ? extends List<DirectoryEntry>>>> released = new ArrayList<>();
      for (Set<String> group : groups) {
        released.add(threads.submit(() -> directory.releaseNode(lost, group)));
      }
      Map<String, List<DirectoryEntry>> all = new HashMap<>();
      for (Future<Map<String, ? extends List<DirectoryEntry>>> group : released) {
        group
            .get(60, TimeUnit.SECONDS)
            .forEach(
                (device, entries) ->
                    all.computeIfAbsent(device, d -> new ArrayList<>()).addAll(entries));
      }
      return all;
    } finally {
      threads.shutdown();
    }
  }

  private static void collect(
      Map<String, ? extends List<DirectoryEntry>> released, List<String> into) {
    released.forEach(
        (device, entries) -> {
          assertThat(entries).isNotNull();
          entries.forEach(entry -> into.add(device + "/" + entry.sessionId));
        });
  }

  static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}

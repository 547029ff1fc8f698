package io.sessionbroker.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.LocalMapStats;
import io.sessionbroker.cluster.TestSessions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures the cluster directory at scale on three Hazelcast members in one JVM (the shipped
 * conf/cluster.xml): the memory Hazelcast reports per entry (owned and backup, {@link
 * LocalMapStats}), the event log's append rate, and the time two survivors take to release the
 * entries of a member that died holding {@code -DdirectorySessions=N} sessions, with the
 * exactly-once check. Skipped unless the property is set (docs/cluster.md, sizing):
 *
 * <pre>
 * mvn -B -pl cluster -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=DirectoryScaleIT -DdirectorySessions=10000
 * </pre>
 */
@Timeout(600)
@EnabledIfSystemProperty(named = "directorySessions", matches = "\\d+")
class DirectoryScaleIT {

  @Test
  void measuresEntryCostAndTheReleaseOfALostMembersEntries() throws Exception {
    int sessions = Integer.getInteger("directorySessions");
    try (Members members = new Members()) {
      List<HazelcastInstance> survivors = members.start(2);
      HazelcastInstance doomed = members.startOne();
      HazelcastDirectory doomedDirectory = new HazelcastDirectory(doomed);
      String lost = doomed.getCluster().getLocalMember().getUuid().toString();

      // given: the third member holds N devices, claimed with everything a NODE_LOST needs
      long now = System.currentTimeMillis();
      List<Future<?>> claims = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        claims.add(
            doomedDirectory.claim(TestSessions.tcp(1_000_000L + i, "scale-" + i, now), lost));
        if (claims.size() == 1_000) {
          Future.all(claims).await(60, TimeUnit.SECONDS);
          claims.clear();
        }
      }
      Future.all(claims).await(60, TimeUnit.SECONDS);
      long owned = 0;
      long backup = 0;
      long entries = 0;
      for (HazelcastInstance member : List.of(survivors.get(0), survivors.get(1), doomed)) {
        LocalMapStats stats = member.getMap(HazelcastDirectory.MAP_NAME).getLocalMapStats();
        owned += stats.getOwnedEntryMemoryCost();
        backup += stats.getBackupEntryMemoryCost();
        entries += stats.getOwnedEntryCount();
      }
      assertThat(entries).isEqualTo(sessions);
      System.out.printf(
          "directory_entry_cost sessions=%d owned_bytes_per_entry=%d backup_bytes_per_entry=%d%n",
          sessions, owned / sessions, backup / sessions);

      // and: the event log's throughput, batches of 1,000 close events of ~400 bytes appended
      // one after the other from one member, as the event pipeline does
      RingbufferEventLog eventLog = new RingbufferEventLog(survivors.get(0));
      JsonObject close =
          new JsonObject()
              .put("address", "sessions.closed")
              .put(
                  "body",
                  new JsonObject()
                      .put("deviceId", "scale-123456")
                      .put("sessionId", "0a1b2c3d00001234")
                      .put("transport", "tcp")
                      .put("node", lost)
                      .put("remote", "10.1.2.3:50312")
                      .put("epoch", 1)
                      .put("at", now)
                      .put("reason", "NODE_LOST")
                      .put("connectedAt", now)
                      .put("lastSeenAt", (Object) null)
                      .put("durationMs", 1000)
                      .put("timeoutMs", 45000)
                      .put("status", (Object) null)
                      .put("announcedBy", lost));
      List<JsonObject> batch = java.util.Collections.nCopies(1_000, close);
      long appendStart = System.nanoTime();
      int batches = 50;
      for (int b = 0; b < batches; b++) {
        eventLog.append(batch).await(60, TimeUnit.SECONDS);
      }
      long appendMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - appendStart);
      System.out.printf(
          "event_log_append events=%d bytes_per_event=%d ms=%d events_per_s=%d%n",
          batches * 1_000,
          close.encode().length(),
          appendMs,
          batches * 1_000L * 1_000 / Math.max(1, appendMs));

      // and: the scan alone, all members alive: both survivors release a node that holds nothing
      long scanStart = System.nanoTime();
      for (HazelcastInstance survivor : survivors) {
        assertThat(new HazelcastDirectory(survivor).releaseNode("nobody")).isEmpty();
      }
      System.out.printf(
          "directory_scan sessions=%d ms_for_both_survivors=%d%n",
          sessions, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - scanStart));

      // when: the member dies and both survivors release its entries at once
      long killed = System.nanoTime();
      doomed.getLifecycleService().terminate();
      ExecutorService threads = Executors.newFixedThreadPool(2);
      CountDownLatch go = new CountDownLatch(1);
      List<java.util.concurrent.Future<Map<String, ? extends List<DirectoryEntry>>>> releases =
          new ArrayList<>();
      for (HazelcastInstance survivor : survivors) {
        HazelcastDirectory directory = new HazelcastDirectory(survivor);
        Callable<Map<String, ? extends List<DirectoryEntry>>> release =
            () -> {
              go.await();
              return directory.releaseNode(lost);
            };
        releases.add(threads.submit(release));
      }
      go.countDown();
      Set<Long> released = new HashSet<>();
      int total = 0;
      for (var release : releases) {
        for (List<DirectoryEntry> list : release.get(300, TimeUnit.SECONDS).values()) {
          for (DirectoryEntry entry : list) {
            released.add(entry.sessionId);
            total++;
          }
        }
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      threads.shutdown();
      System.out.printf("directory_release sessions=%d ms=%d%n", sessions, ms);

      // then: every session released once
      assertThat(total).isEqualTo(sessions);
      assertThat(released).hasSize(sessions);
    }
  }
}

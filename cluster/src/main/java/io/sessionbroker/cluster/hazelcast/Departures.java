package io.sessionbroker.cluster.hazelcast;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The members that said they are leaving: a node that stops gracefully tells every other member so
 * before it leaves (its stop's last request to them, after its {@code SHUTDOWN} closes are out; the
 * broker's {@code ShutdownDrain}). Hazelcast reports a graceful leave and a partition alike, as a
 * member removed; this is how the survivors tell them apart.
 *
 * <p>Why it matters: with quorum 2, stopping a three-node cluster one node at a time left the last
 * node below quorum, so it counted itself cut off and withheld its own sessions' {@code SHUTDOWN}
 * closes at its stop ({@code closes_withheld_at_shutdown}); nobody announced them. PartitionIT
 * caught it when its last node happened to hear the second node leave before its own SIGTERM. A
 * member that left gracefully is not lost: its sessions were announced by itself, and no half of
 * the cluster is left behind it, so it does not count against the quorum ({@link NodeLossWatch}).
 * Safe from any thread.
 */
public final class Departures {

  private final Set<String> leaving = ConcurrentHashMap.newKeySet();

  /** Node {@code nodeId} said it is leaving: its removal from the cluster will not be a loss. */
  public void leaving(String nodeId) {
    leaving.add(nodeId);
  }

  /** Whether node {@code nodeId} said it is leaving and has not left yet. */
  public boolean isLeaving(String nodeId) {
    return leaving.contains(nodeId);
  }

  /**
   * Node {@code nodeId} was removed from the cluster: returns whether it had said it was leaving
   * (and forgets it, so a node started again with the same id is not taken for one that is
   * leaving).
   */
  boolean left(String nodeId) {
    return leaving.remove(nodeId);
  }
}

package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.EventContract;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Feeds one {@link EventContract} with every {@code sessions.*} event of a cluster, as external
 * subscribers on the bridges of some of its nodes see them: the {@link ContractRecorder} of a
 * cluster. Events are published cluster-wide, so every watched bridge delivers the same event; each
 * is recorded once (the same address, session, {@code seq} and time). Watch a node the test does
 * not kill; watch two to see what each half of a split sees, merged.
 *
 * <p>Settling: a request on a bridge only orders the events of the node that answers it, not the
 * events other nodes published before. The cluster's event log orders them all: each node numbers
 * its events there ({@code seq}) before it publishes them. So {@link #settle} reads the log of the
 * first watched node that is still running from where the last settle stopped to its end, and waits
 * until that node's subscriber has received every event in it: whatever any node published before
 * the call has been recorded. An event that is in the log but never reaches the subscriber fails
 * the test: a live subscriber missed an event that replay would show.
 */
final class ClusterContract implements AutoCloseable {

  private static final Duration DELIVERY = Duration.ofSeconds(30);

  final EventContract contract;
  private final List<Tap> taps = new ArrayList<>();
  private final TapMerge merge;
  private long settledTo;

  /** One watched node: its bridge and the sequence numbers of the events it delivered. */
  private static final class Tap {
    final int node;
    final BridgeClient bridge;
    final Set<Long> seqs = new HashSet<>();
    volatile boolean stopped;

    Tap(int node, BridgeClient bridge) {
      this.node = node;
      this.bridge = bridge;
    }
  }

  /**
   * Subscribes on the bridges of {@code watched} (node indexes of {@code cluster}); returns once
   * every subscription is in place.
   */
  ClusterContract(ThreeNodes cluster, long tickMs, int... watched)
      throws IOException, InterruptedException {
    contract =
        new EventContract("the cluster, seen from node(s) " + names(watched), tickMs, this::settle);
    merge = new TapMerge(contract);
    try {
      for (int node : watched) {
        Tap tap = new Tap(node, cluster.bridge(node));
        taps.add(tap);
        tap.bridge.tap(frame -> received(tap, frame));
        tap.bridge.registerAndSync(Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED);
      }
      settledTo = logEnd(taps.get(0));
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private static String names(int... nodes) {
    StringBuilder names = new StringBuilder();
    for (int node : nodes) {
      names.append(names.length() == 0 ? "" : " and ").append((char) ('A' + node));
    }
    return names.toString();
  }

  private void received(Tap tap, JsonObject frame) {
    if (!(frame.getValue("body") instanceof JsonObject body)) {
      return;
    }
    // recorded before it counts as delivered: a settle that returns has every event recorded
    merge.deliver(frame.getString("address"), body);
    synchronized (this) {
      if (body.getLong("seq") != null) {
        tap.seqs.add(body.getLong("seq"));
        notifyAll();
      }
    }
  }

  /** Whether node {@code node}'s bridge is watched. */
  boolean watches(int node) {
    return taps.stream().anyMatch(tap -> tap.node == node);
  }

  /**
   * Returns once every event in the cluster's log (as the first running watched node reads it) has
   * been recorded; fails if one of them does not reach that node's subscriber within 30 s.
   */
  void settle() throws IOException, InterruptedException {
    Tap tap = taps.stream().filter(t -> !t.stopped).findFirst().orElse(null);
    if (tap == null) {
      return; // every watched node stopped: their bridges delivered everything they ever will
    }
    Set<Long> logged = new TreeSet<>();
    long from = settledTo;
    while (true) {
      JsonObject page =
          tap.bridge.request(
              Addresses.ADMIN_EVENTS,
              new JsonObject().put("fromSeq", from).put("max", AdminApi.MAX_EVENTS),
              ThreeNodes.WAIT);
      JsonArray events = page.getJsonArray("events");
      if (page.getBoolean("gap")) {
        throw new AssertionError(
            "the event log overwrote events the contract has not confirmed: " + page.encode());
      }
      if (events.isEmpty()) {
        break;
      }
      events.forEach(e -> logged.add(((JsonObject) e).getLong("seq")));
      from = page.getLong("nextSeq");
    }
    awaitDelivered(tap, logged);
    settledTo = Math.max(settledTo, from);
  }

  private synchronized void awaitDelivered(Tap tap, Set<Long> logged) throws InterruptedException {
    long deadline = System.nanoTime() + DELIVERY.toNanos();
    while (!tap.seqs.containsAll(logged)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        Set<Long> missing = new TreeSet<>(logged);
        missing.removeAll(tap.seqs);
        throw new AssertionError(
            "events "
                + missing
                + " are in the cluster's event log but did not reach the"
                + " subscriber on node "
                + (char) ('A' + tap.node)
                + " within "
                + DELIVERY);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /**
   * Node {@code node} has stopped: waits until its bridge, if watched, has delivered its last
   * event.
   */
  void stopped(int node) throws InterruptedException {
    for (Tap tap : taps) {
      if (tap.node == node) {
        tap.stopped = true;
        if (!tap.bridge.awaitClosed(DELIVERY)) {
          throw new AssertionError(
              "the bridge of node " + (char) ('A' + node) + " stayed open after it stopped");
        }
      }
    }
  }

  private static long logEnd(Tap tap) throws IOException, InterruptedException {
    return tap.bridge
        .request(
            Addresses.ADMIN_EVENTS,
            new JsonObject().put("fromSeq", Long.MAX_VALUE).put("max", 1),
            ThreeNodes.WAIT)
        .getLong("nextSeq");
  }

  /**
   * Stops watching; the contract is not checked any more (see {@link ThreeNodes#stopAndFinish}).
   */
  @Override
  public void close() throws IOException {
    contract.abandon();
    for (Tap tap : taps) {
      tap.bridge.close();
    }
  }
}

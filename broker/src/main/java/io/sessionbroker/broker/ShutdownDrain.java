package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.EventPipeline;
import io.sessionbroker.cluster.hazelcast.Departures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At a graceful stop, waits until the events the stop produced (its {@code SHUTDOWN} closes) have
 * left this node, before Vert.x closes and the node leaves the cluster; at most {@code
 * shutdown.maxDrainMs}.
 *
 * <p>Why: the stop used to wait a fixed {@code shutdown.graceMs} (500 ms) after handing its closes
 * to the {@link EventPipeline} and then close Vert.x. With 1,254 closes on a loaded machine (the
 * long chaos run) the event log kept every one, but no node's bridge delivered any: the pipeline
 * was still appending and publishing when the event bus closed (a publish on a closed bus throws;
 * one still queued on a connection to another node is dropped).
 *
 * <p>Two steps, each measured against the one deadline:
 *
 * <ol>
 *   <li>the pipeline is {@linkplain EventPipeline#idle idle}: every event handed in is appended,
 *       published, and written by the bus;
 *   <li>every other member confirms: a request to its {@link #address flush address}, answered at
 *       once. Vert.x completes a clustered publish's write future at the first node it is written
 *       to, not all; but it writes to each node over one connection, in order, so a reply to a
 *       request sent after the last publish means the node has read every event before it and
 *       handed it to its consumers (its bridge's subscribers among them). A reply is also more than
 *       "written": bytes in this node's socket buffer can still be lost if the socket is reset. The
 *       request names this node: the member notes that it is leaving ({@link Departures}), so that
 *       its leave, which follows, is not counted as a loss against that member's quorum. Members
 *       that said they are leaving themselves are not asked.
 * </ol>
 *
 * <p>Logs {@code shutdown_drained sessions=S events=N in_ms=M} when both steps are done, or a WARN
 * naming what was still missing when the deadline cut the wait short. Standalone, the second step
 * has no member to ask.
 */
final class ShutdownDrain {

  private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);

  private final Vertx vertx;
  private final EventPipeline pipeline;
  private final String nodeId;
  private final Supplier<List<String>> members;
  private final Departures departures;
  private final long maxDrainMs;

  /**
   * @param members the cluster's members (this node among them), asked when the drain starts
   * @param departures the members that said they are leaving: not asked
   * @param maxDrainMs the longest the drain waits; 0 does not wait at all
   */
  ShutdownDrain(
      Vertx vertx,
      EventPipeline pipeline,
      String nodeId,
      Supplier<List<String>> members,
      Departures departures,
      long maxDrainMs) {
    this.vertx = vertx;
    this.pipeline = pipeline;
    this.nodeId = nodeId;
    this.members = members;
    this.departures = departures;
    this.maxDrainMs = maxDrainMs;
  }

  /** The address on which node {@code nodeId} confirms that it has read what came before. */
  static String address(String nodeId) {
    return Addresses.ofNode(nodeId, "flush");
  }

  /**
   * Answers the flush requests of other nodes' stops, noting each requester as leaving; every node
   * registers it when it starts.
   */
  static Future<Void> register(EventBus bus, String nodeId, Departures departures) {
    return bus.<Object>consumer(
            address(nodeId),
            message -> {
              if (message.body() instanceof String leaving) {
                departures.leaving(leaving);
              }
              message.reply(null);
            })
        .completion();
  }

  /**
   * Waits until the events handed to the pipeline so far have left this node, or {@code
   * shutdown.maxDrainMs} has passed; never fails.
   *
   * @param eventsBefore {@link EventPipeline#handedIn} when the stop began, for the log line
   * @param sessions how many sessions the stop closed, for the log line
   */
  Future<Void> drain(long eventsBefore, int sessions) {
    if (maxDrainMs <= 0) {
      log.info("shutdown_drain_skipped max_drain_ms=0");
      return Future.succeededFuture();
    }
    long started = System.nanoTime();
    Promise<Void> done = Promise.promise();
    Set<String> unconfirmed = ConcurrentHashMap.newKeySet();
    Promise<Void> written = Promise.promise();
    long timer =
        vertx.setTimer(
            maxDrainMs,
            id -> {
              if (done.tryComplete()) {
                log.warn(
                    "shutdown_drain_cut_short sessions={} events={} unwritten={} unconfirmed_nodes={}"
                        + " max_drain_ms={}: live subscribers may miss the last of them (a replay"
                        + " of the event log has them)",
                    sessions,
                    pipeline.handedIn() - eventsBefore,
                    pipeline.unwritten(),
                    written.future().isComplete() ? unconfirmed : "(not asked yet)",
                    maxDrainMs);
              }
            });
    pipeline.written().onComplete(written);
    written
        .future()
        .compose(v -> confirmed(unconfirmed))
        .onComplete(
            confirmed -> {
              vertx.cancelTimer(timer);
              if (!done.tryComplete()) {
                return;
              }
              long inMs = (System.nanoTime() - started) / 1_000_000;
              long events = pipeline.handedIn() - eventsBefore;
              if (unconfirmed.isEmpty()) {
                log.info("shutdown_drained sessions={} events={} in_ms={}", sessions, events, inMs);
              } else {
                log.warn(
                    "shutdown_drain_unconfirmed sessions={} events={} in_ms={} unconfirmed_nodes={}:"
                        + " these nodes did not confirm that they read the last events",
                    sessions,
                    events,
                    inMs,
                    unconfirmed);
              }
            });
    return done.future();
  }

  /**
   * Asks every other member to confirm that it has read what this node sent before; completes when
   * each has answered or failed to ({@code unconfirmed} then names it).
   */
  private Future<Void> confirmed(Set<String> unconfirmed) {
    List<Future<?>> replies = new ArrayList<>();
    for (String member : members.get()) {
      if (member.equals(nodeId) || departures.isLeaving(member)) {
        continue;
      }
      unconfirmed.add(member);
      replies.add(
          vertx
              .eventBus()
              .request(address(member), nodeId, new DeliveryOptions().setSendTimeout(maxDrainMs))
              .onSuccess(reply -> unconfirmed.remove(member)));
    }
    return Future.join(replies).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }
}

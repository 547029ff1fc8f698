package io.sessionbroker.broker;

import io.sessionbroker.testkit.EventContract;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * Merges what several subscribers (each on its own thread) deliver of one event stream into an
 * {@link EventContract}: each event is recorded once, the first time any of them delivers it.
 *
 * <p>The check for "first time" and the record are one step under one lock. If they were two, the
 * thread that won event 117 could be preempted between them while another subscriber's thread
 * records 118–122, and the contract would see 117 after 122 — a reordering no broker made (issue
 * 16: ClusterIT watches two bridges, and this is what it once reported).
 */
final class TapMerge {

  private final EventContract contract;
  private final Set<String> recorded = new HashSet<>();

  TapMerge(EventContract contract) {
    this.contract = contract;
  }

  /** Records {@code body} unless another subscriber delivered it first. */
  synchronized void deliver(String address, JsonObject body) {
    String key =
        address
            + " "
            + body.getString("sessionId")
            + " "
            + body.getValue("seq")
            + " "
            + body.getValue("at");
    if (recorded.add(key)) {
      contract.record(address, body);
    }
  }
}

package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbers session events through the {@link EventLog} and publishes them on the event bus in the
 * order they were handed in. One append is in flight at a time; events that arrive meanwhile go out
 * together in the next append (a batch of contiguous sequence numbers), so a burst — a mass expiry,
 * a node loss — costs one round trip per batch, not per event.
 *
 * <p>If the log fails, the events are still published, without {@code seq}: an announced close
 * matters more than its number.
 */
public final class EventPipeline {

  private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);

  /** Largest batch per append: a Hazelcast ringbuffer takes at most 1,000 items per addAll. */
  public static final int MAX_BATCH = 1_000;

  private final EventBus bus;
  private final EventLog eventLog;
  private List<JsonObject> queued = new ArrayList<>();
  private boolean appending;

  public EventPipeline(EventBus bus, EventLog eventLog) {
    this.bus = bus;
    this.eventLog = eventLog;
  }

  public EventLog eventLog() {
    return eventLog;
  }

  /** Logs and publishes {@code body} on {@code address}; safe from any thread. */
  public void publish(String address, JsonObject body) {
    synchronized (this) {
      queued.add(new JsonObject().put("address", address).put("body", body));
      if (appending) {
        return;
      }
      appending = true;
    }
    drain();
  }

  /**
   * Logs and publishes every body of {@code bodies} on {@code address}, in order; safe from any
   * thread. Handed in at once, a burst (a node loss) fills its first append too, instead of sending
   * its first event alone while the rest wait behind it.
   */
  public void publishAll(String address, List<JsonObject> bodies) {
    synchronized (this) {
      for (JsonObject body : bodies) {
        queued.add(new JsonObject().put("address", address).put("body", body));
      }
      if (appending || queued.isEmpty()) {
        return;
      }
      appending = true;
    }
    drain();
  }

  private void drain() {
    List<JsonObject> batch;
    synchronized (this) {
      if (queued.isEmpty()) {
        appending = false;
        return;
      }
      if (queued.size() <= MAX_BATCH) {
        batch = queued;
        queued = new ArrayList<>();
      } else {
        batch = new ArrayList<>(queued.subList(0, MAX_BATCH));
        queued.subList(0, MAX_BATCH).clear();
      }
    }
    Future<Long> append;
    try {
      append = eventLog.append(batch);
    } catch (
        RuntimeException
            e) { // a log that throws instead of failing its future must not stall the pipeline
      append = Future.failedFuture(e);
    }
    append.onComplete(
        appended -> {
          if (appended.failed()) {
            log.error("event_log_append_failed events={}", batch.size(), appended.cause());
          }
          long seq = appended.succeeded() ? appended.result() : -1;
          for (JsonObject entry : batch) {
            JsonObject body = entry.getJsonObject("body");
            if (seq >= 0) {
              body.put("seq", seq++);
            }
            bus.publish(entry.getString("address"), body);
          }
          drain();
        });
  }
}

package io.sessionbroker.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
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
 *
 * <p>{@link #written()} tells a stopping node when everything handed in has left: appended,
 * published, and written by the event bus (a graceful stop that closed Vert.x after a fixed 500 ms
 * lost every one of 1,254 {@code SHUTDOWN} closes from the bus while the log kept them:
 * docs/cluster.md).
 */
public final class EventPipeline {

  private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);

  /** Largest batch per append: a Hazelcast ringbuffer takes at most 1,000 items per addAll. */
  public static final int MAX_BATCH = 1_000;

  private final EventBus bus;
  private final EventLog eventLog;
  private List<JsonObject> queued = new ArrayList<>();
  private boolean appending;

  /** Calls of {@link #inOneAppend} running: while above 0, what is handed in waits in the queue. */
  private int holds;

  /** Events handed in so far; an event's index is the count before it. */
  private long handedIn;

  /** Index of the next event to publish: events are published in the order handed in. */
  private long publishing;

  /** Every event with a smaller index has been written by the bus. */
  private long writtenUpTo;

  /** Indexes at or above {@link #writtenUpTo} already written (writes finish out of order). */
  private final TreeSet<Long> writtenAhead = new TreeSet<>();

  /** Waiting until {@link #writtenUpTo} reaches their target. */
  private final List<Waiter> waiters = new ArrayList<>();

  /** Waiting until {@link #publishing} (events past their append) reaches their target. */
  private final List<Waiter> appendWaiters = new ArrayList<>();

  private record Waiter(long upTo, Promise<Void> promise) {}

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
      handedIn++;
      if (appending || holds > 0) {
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
      handedIn += bodies.size();
      if (appending || holds > 0 || queued.isEmpty()) {
        return;
      }
      appending = true;
    }
    drain();
  }

  /**
   * Runs {@code work} on the calling thread; what it (or any other thread meanwhile) hands in waits
   * until it returns and then goes out in one append (up to {@link #MAX_BATCH}), in the order
   * handed in. The session table wraps its eviction tick in this: a mass expiry of 500 sessions was
   * 500 appends of one event each (the first publish drains at once, on the table's thread, and a
   * log that answers at once leaves nothing for the next append to gather), each taking the log's
   * lock and the bus's publish between two closes. Nested calls go out when the outermost returns.
   */
  public void inOneAppend(Runnable work) {
    synchronized (this) {
      holds++;
    }
    try {
      work.run();
    } finally {
      boolean drain;
      synchronized (this) {
        holds--;
        drain = holds == 0 && !appending && !queued.isEmpty();
        if (drain) {
          appending = true;
        }
      }
      if (drain) {
        drain();
      }
    }
  }

  private void drain() {
    List<JsonObject> batch;
    synchronized (this) {
      if (queued.isEmpty() || holds > 0) {
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
            publishOnBus(entry.getString("address"), body);
          }
          drain();
        });
  }

  /**
   * Publishes one event and counts it written once the bus has written it: delivered here, or on
   * the connection to the first node it goes to (Vert.x completes a clustered publish's write
   * future once, at its first destination; {@code ShutdownDrain} confirms the others). The count
   * waits for {@code write} to return too: with the address's nodes known (the usual case) the
   * event has then been handed to the connection of every node. A bus that throws (closed already)
   * must not stall the pipeline: the rest of the batch and the next batch still go their way.
   * Called in publishing order (one append's callback at a time). The body goes out read-only
   * ({@link ReadOnlyJson}): this node's consumers share it instead of getting a deep copy each.
   */
  private void publishOnBus(String address, JsonObject body) {
    long index;
    List<Promise<Void>> appended;
    synchronized (this) { // one append's callback at a time, but on whichever thread answered it
      index = publishing++;
      appended = appendWaiters.isEmpty() ? List.of() : reached(appendWaiters, publishing);
    }
    appended.forEach(Promise::complete);
    Future<Void> written;
    try {
      written = bus.publisher(address).write(ReadOnlyJson.of(body));
    } catch (RuntimeException e) {
      log.error("event_publish_failed address={}", address, e);
      written = Future.failedFuture(e);
    }
    written.onComplete(done -> written(index));
  }

  private void written(long index) {
    List<Promise<Void>> done;
    synchronized (this) {
      if (index != writtenUpTo) {
        writtenAhead.add(index);
        return;
      }
      writtenUpTo++;
      while (!writtenAhead.isEmpty() && writtenAhead.first() == writtenUpTo) {
        writtenAhead.pollFirst();
        writtenUpTo++;
      }
      done = reached(waiters, writtenUpTo);
    }
    done.forEach(Promise::complete);
  }

  /** Removes and returns the waiters of {@code list} whose target {@code count} has reached. */
  private static List<Promise<Void>> reached(List<Waiter> list, long count) {
    List<Promise<Void>> done = new ArrayList<>();
    for (Iterator<Waiter> it = list.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.upTo() <= count) {
        done.add(waiter.promise());
        it.remove();
      }
    }
    return done;
  }

  /** How many events have been handed in since this pipeline was made; safe from any thread. */
  public synchronized long handedIn() {
    return handedIn;
  }

  /** Events handed in and not yet written by the bus; safe from any thread. */
  public synchronized long unwritten() {
    return handedIn - writtenUpTo;
  }

  /**
   * Completes once every event handed in before this call is past its append: in the event log (or
   * its append failed, logged as {@code event_log_append_failed}) and handed to the bus; at once if
   * there is none; safe from any thread. What a stopping node waits for before it releases the
   * directory entries of the sessions whose closes it handed in ({@link CutOffSessions}): a node
   * that dies after that leaves no session without its close in the log.
   */
  public Future<Void> appended() {
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (publishing < handedIn) {
        appendWaiters.add(new Waiter(handedIn, promise));
        return promise.future();
      }
    }
    promise.complete();
    return promise.future();
  }

  /**
   * Completes once every event handed in before this call has been appended, published and written
   * by the bus (at once if there is none); safe from any thread. Events handed in later are not
   * waited for, so a steady trickle (rejections while a node stops) cannot hold it back.
   */
  public Future<Void> written() {
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (writtenUpTo < handedIn) {
        waiters.add(new Waiter(handedIn, promise));
        return promise.future();
      }
    }
    promise.complete();
    return promise.future();
  }
}

package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records every event (with the time it arrived) a bridge subscriber receives, in arrival order, on
 * a thread of its own; tests wait for and then count events. Requests go through a separate {@link
 * BridgeClient}, since this one drains its frames.
 */
final class EventRecorder implements AutoCloseable {

  /** One event: the address it was published on and its body. */
  record Event(String address, JsonObject body, long receivedNanos) {

    String deviceId() {
      return body.getString("deviceId");
    }
  }

  private final BridgeClient bridge;
  private final List<Event> events = new ArrayList<>();
  private final Thread drainer;
  private volatile boolean closed;

  EventRecorder(int port, String... addresses) throws IOException, InterruptedException {
    this(new BridgeClient("127.0.0.1", port), addresses);
  }

  /** Records what {@code bridge} (a client of its own, e.g. with a token) receives. */
  EventRecorder(BridgeClient bridge, String... addresses) throws IOException, InterruptedException {
    this.bridge = bridge;
    bridge.registerAndSync(addresses);
    drainer = new Thread(this::drain, "event-recorder");
    drainer.setDaemon(true);
    drainer.start();
  }

  private void drain() {
    try {
      while (!closed) {
        JsonObject frame = bridge.next(Duration.ofMillis(200));
        if (frame != null
            && "message".equals(frame.getString("type"))
            && frame.getValue("body") instanceof JsonObject body) {
          synchronized (this) {
            events.add(new Event(frame.getString("address"), body, System.nanoTime()));
            notifyAll();
          }
        }
      }
    } catch (IOException | InterruptedException e) {
      // the bridge went away: the recording ends
    }
  }

  synchronized List<Event> matching(Predicate<Event> filter) {
    return events.stream().filter(filter).toList();
  }

  /** Waits until at least {@code count} recorded events match; returns them. */
  synchronized List<Event> await(Predicate<Event> filter, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Event> found = matching(filter);
      long left = deadline - System.nanoTime();
      if (found.size() >= count) {
        return found;
      }
      if (left <= 0) {
        throw new AssertionError(
            "expected " + count + " events, got " + found.size() + ": " + found);
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  static Predicate<Event> on(String address, String deviceId) {
    return e -> e.address().equals(address) && deviceId.equals(e.deviceId());
  }

  @Override
  public void close() throws IOException {
    closed = true;
    bridge.close();
  }
}

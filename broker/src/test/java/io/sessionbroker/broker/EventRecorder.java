package io.sessionbroker.broker;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records every event (with the time it arrived) a bridge subscriber receives, in arrival order, on
 * the bridge client's reader thread; tests wait for and then count events. Requests go through a
 * separate {@link BridgeClient}.
 *
 * <p>Cheap per event, since {@code NodeLossTimeIT} times thousands of them through it on the
 * broker's cores: recorded where the frame is read (no hand-over to a thread of its own), and an
 * {@link #await} looks only at the events that came since it last looked (it rescanned the whole
 * recording on every event: quadratic, seconds of CPU for 10,000 closes).
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

  EventRecorder(int port, String... addresses) throws IOException, InterruptedException {
    this(new BridgeClient("127.0.0.1", port), addresses);
  }

  /** Records what {@code bridge} (a client of its own, e.g. with a token) receives. */
  EventRecorder(BridgeClient bridge, String... addresses) throws IOException, InterruptedException {
    this.bridge = bridge;
    bridge.tap(this::record);
    bridge.registerAndSync(addresses);
  }

  /** On the bridge client's reader thread: a message published on a registered address. */
  private void record(JsonObject frame) {
    long now = System.nanoTime();
    if (frame.getValue("body") instanceof JsonObject body) {
      synchronized (this) {
        events.add(new Event(frame.getString("address"), body, now));
        notifyAll();
      }
    }
  }

  synchronized List<Event> matching(Predicate<Event> filter) {
    return events.stream().filter(filter).toList();
  }

  /** Waits until at least {@code count} recorded events match; returns them. */
  synchronized List<Event> await(Predicate<Event> filter, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Event> found = new ArrayList<>();
    int seen = 0;
    while (true) {
      for (; seen < events.size(); seen++) {
        if (filter.test(events.get(seen))) {
          found.add(events.get(seen));
        }
      }
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
    bridge.close();
  }
}

package io.sessionbroker.cluster;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Up to when the broker has certainly been reading its sockets, so a stall on our side is never
 * blamed on the devices.
 *
 * <p>Heartbeats are read by the event loops. If those loops stall (an overloaded machine, a long GC
 * on one of them, a blocked handler) heartbeats wait unread in socket buffers while the clock runs
 * on, and a wheel told "now" would evict devices that did send. So every event loop stamps the time
 * every {@code periodMs}; when the oldest stamp is more than {@code stallMs} old, the table tells
 * its wheel that oldest stamp instead of now: no deadline after it expires until the loops have
 * caught up and read what was waiting. In normal operation the stamps are fresh and the wheel is
 * told now, so this adds no lateness. A stall shorter than {@code stallMs} is not detected: that
 * bound trades protection against short stalls for no lateness under bursts.
 */
public final class EventLoopWatch implements LongSupplier, AutoCloseable {

  private final Clock clock;
  private final long stallMs;
  private final AtomicLongArray stamps;
  private final List<ScheduledFuture<?>> timers = new ArrayList<>();

  public EventLoopWatch(EventLoopGroup loops, Clock clock, long periodMs, long stallMs) {
    this.clock = clock;
    this.stallMs = stallMs;
    List<EventExecutor> executors = new ArrayList<>();
    loops.forEach(executors::add);
    this.stamps = new AtomicLongArray(executors.size());
    long now = clock.millis();
    for (int i = 0; i < executors.size(); i++) {
      int slot = i;
      stamps.set(slot, now);
      timers.add(
          executors
              .get(i)
              .scheduleAtFixedRate(
                  () -> stamps.set(slot, clock.millis()),
                  periodMs,
                  periodMs,
                  TimeUnit.MILLISECONDS));
    }
  }

  /** The time up to which every event loop has been running: now, unless one of them is stalled. */
  @Override
  public long getAsLong() {
    long now = clock.millis();
    long oldest = now;
    for (int i = 0; i < stamps.length(); i++) {
      oldest = Math.min(oldest, stamps.get(i));
    }
    return now - oldest > stallMs ? oldest : now;
  }

  @Override
  public void close() {
    timers.forEach(timer -> timer.cancel(false));
  }
}

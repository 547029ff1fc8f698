package io.sessionbroker.testkit.fuzz;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Well-behaved devices that keep their sessions alive beside a fuzzer: each beats (a heartbeat and
 * its answer, a round trip) on a thread of its own every period, and any failure — a missing
 * answer, an unexpected frame, a closed connection — is recorded. The fuzzer then asserts that none
 * failed and each kept beating, alongside the event check that no healthy session was closed.
 */
public final class HealthyFleet implements AutoCloseable {

  /** One healthy device: its id and one heartbeat round trip, failing on anything unexpected. */
  public interface Device extends AutoCloseable {
    String id();

    void beat() throws Exception;
  }

  private final List<Device> devices;
  private final ScheduledExecutorService scheduler;
  private final Map<String, AtomicInteger> beats = new ConcurrentHashMap<>();
  private final List<String> failures = new ArrayList<>();

  private HealthyFleet(List<Device> devices, Duration period) {
    this.devices = List.copyOf(devices);
    this.scheduler = Executors.newScheduledThreadPool(devices.size());
    for (Device device : devices) {
      AtomicInteger count = new AtomicInteger();
      beats.put(device.id(), count);
      scheduler.scheduleWithFixedDelay(
          () -> {
            try {
              device.beat();
              count.incrementAndGet();
            } catch (Exception | AssertionError e) {
              fail(device.id() + ": " + e);
              throw new IllegalStateException(e); // stops this device's beats
            }
          },
          0,
          period.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /** Starts beating {@code devices}, each every {@code period}. */
  public static HealthyFleet start(List<? extends Device> devices, Duration period) {
    return new HealthyFleet(new ArrayList<>(devices), period);
  }

  private synchronized void fail(String failure) {
    failures.add(failure);
  }

  /** The device ids. */
  public List<String> ids() {
    return devices.stream().map(Device::id).toList();
  }

  /** Fails unless every device is still beating and has beaten at least {@code minBeats} times. */
  public synchronized void assertHealthy(int minBeats) {
    if (!failures.isEmpty()) {
      throw new AssertionError("healthy devices failed beside the fuzzer: " + failures);
    }
    beats.forEach(
        (id, count) -> {
          if (count.get() < minBeats) {
            throw new AssertionError(
                "healthy device " + id + " beat " + count.get() + " times, fewer than " + minBeats);
          }
        });
  }

  /** Stops beating and closes the devices. */
  @Override
  public void close() throws Exception {
    scheduler.shutdownNow();
    scheduler.awaitTermination(10, TimeUnit.SECONDS);
    for (Device device : devices) {
      device.close();
    }
  }
}

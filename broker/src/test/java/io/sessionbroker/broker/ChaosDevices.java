package io.sessionbroker.broker;

import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Devices that stay connected to a {@link ThreeNodes} cluster whatever happens to it: each one, on
 * a thread of its own, connects to a random node, says hello and holds the connection until the
 * broker ends it (or the connection fails), then waits a moment and connects again, to a node
 * chosen anew — as real devices behind a load balancer do.
 *
 * <p>{@link #stop} ends the loops and closes every connection (the broker closes those sessions
 * with {@code CLIENT_CLOSED}).
 *
 * <p>A device holds its connection on a thread of {@code holders} (blocking reads, as a real
 * device's); its back-off before reconnecting is a task scheduled on {@code backOff}, so no thread
 * sleeps.
 */
final class ChaosDevices implements AutoCloseable {

  /** A device waits this long (plus up to as much again) before it reconnects, like real ones. */
  private static final int RECONNECT_DELAY_MS = 200;

  private final ThreeNodes cluster;
  private final ExecutorService holders =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "chaos-device");
            thread.setDaemon(true);
            return thread;
          });
  private final ScheduledExecutorService backOff =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "chaos-device-back-off");
            thread.setDaemon(true);
            return thread;
          });
  private final List<TcpDevice> current = new ArrayList<>();
  private final AtomicInteger welcomes = new AtomicInteger();
  private volatile boolean running = true;

  ChaosDevices(ThreeNodes cluster, String prefix, int count, long seed) {
    this.cluster = cluster;
    synchronized (current) {
      for (int i = 0; i < count; i++) {
        current.add(null);
      }
    }
    for (int i = 0; i < count; i++) {
      String deviceId = prefix + i;
      Random random = new Random(seed * 1_000_003 + i);
      holders.execute(() -> live(deviceId, random));
    }
  }

  /** How many sessions the devices were welcomed to so far (every reconnect counts). */
  int welcomes() {
    return welcomes.get();
  }

  /**
   * One session of the device: connects, holds the connection until it ends, then schedules the
   * next after the device's back-off.
   */
  private void live(String deviceId, Random random) {
    if (!running) {
      return;
    }
    int slot = Integer.parseInt(deviceId.substring(deviceId.lastIndexOf('-') + 1));
    try (TcpDevice device = cluster.tcp(random.nextInt(3))) {
      synchronized (current) {
        current.set(slot, device);
      }
      JsonObject welcome = cluster.hello(device, deviceId, 300);
      if ("welcome".equals(welcome.getString("type"))) {
        welcomes.incrementAndGet();
        while (running && !device.closedByBroker(Duration.ofSeconds(1))) {
          // holds the session until the broker ends it
        }
      }
    } catch (IOException | RuntimeException e) {
      // refused, reset, or the node is down: try again
    }
    try {
      // the device's own back-off before it reconnects, not a wait for the broker
      backOff.schedule(
          () -> holders.execute(() -> live(deviceId, random)),
          RECONNECT_DELAY_MS + random.nextInt(RECONNECT_DELAY_MS),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopped) {
      // stop() came meanwhile
    }
  }

  /** Ends the loops and closes every device's connection; returns when every thread has ended. */
  void stop() throws InterruptedException {
    running = false;
    synchronized (current) {
      for (TcpDevice device : current) {
        if (device != null) {
          try {
            device.close();
          } catch (IOException e) {
            // already gone
          }
        }
      }
    }
    backOff.shutdownNow();
    holders.shutdown();
    holders.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}

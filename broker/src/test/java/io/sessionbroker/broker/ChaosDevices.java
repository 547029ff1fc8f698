package io.sessionbroker.broker;

import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Devices that stay connected to a {@link ThreeNodes} cluster whatever happens to it: each one, on
 * a thread of its own, connects to a random node, says hello and holds the connection until the
 * broker ends it (or the connection fails), then waits a moment and connects again, to a node
 * chosen anew — as real devices behind a load balancer do.
 *
 * <p>{@link #stop} ends the loops and closes every connection (the broker closes those sessions
 * with {@code CLIENT_CLOSED}).
 */
final class ChaosDevices implements AutoCloseable {

  /** A device waits this long (plus up to as much again) before it reconnects, like real ones. */
  private static final int RECONNECT_DELAY_MS = 200;

  private final ThreeNodes cluster;
  private final List<Thread> threads = new ArrayList<>();
  private final List<TcpDevice> current = new ArrayList<>();
  private final AtomicInteger welcomes = new AtomicInteger();
  private volatile boolean running = true;

  ChaosDevices(ThreeNodes cluster, String prefix, int count, long seed) {
    this.cluster = cluster;
    for (int i = 0; i < count; i++) {
      String deviceId = prefix + i;
      Random random = new Random(seed * 1_000_003 + i);
      Thread thread = new Thread(() -> live(deviceId, random), "chaos-" + deviceId);
      thread.setDaemon(true);
      threads.add(thread);
      synchronized (current) {
        current.add(null);
      }
    }
    threads.forEach(Thread::start);
  }

  /** How many sessions the devices were welcomed to so far (every reconnect counts). */
  int welcomes() {
    return welcomes.get();
  }

  private void live(String deviceId, Random random) {
    int slot = Integer.parseInt(deviceId.substring(deviceId.lastIndexOf('-') + 1));
    while (running) {
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
      pause(random);
    }
  }

  private static void pause(Random random) {
    try {
      // a device's own back-off before it reconnects, not a wait for the broker
      Thread.sleep(RECONNECT_DELAY_MS + random.nextInt(RECONNECT_DELAY_MS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
    for (Thread thread : threads) {
      thread.join(10_000);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}

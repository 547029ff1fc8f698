package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

/**
 * The command mode's back end: sends {@code count} requests to {@code devices.command} through the
 * TCP event bus bridge (docs/events.md, "Commands to devices"), to the targets in turn, at most
 * {@code concurrency} in flight, each with its own reply address; times each from the write of its
 * request to the read of its answer (the round trip a back end sees). Its own two threads: the
 * devices are served by the worker's loop meanwhile.
 */
final class CommandSender implements AutoCloseable {

  private static final String NAME = "bench";

  private final CommandOptions o;
  private final List<String> targets;
  private final Socket socket = new Socket();
  private final DataOutputStream out;
  private final long[] sentNanos;
  private final double[] roundTripMs;
  private final Semaphore window;
  private final CountDownLatch done;
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private volatile long firstSentNanos;
  private volatile long lastAnswerNanos;

  CommandSender(CommandOptions o, List<String> targets) throws IOException {
    if (targets.isEmpty()) {
      throw new IOException("no connected device to send commands to");
    }
    this.o = o;
    this.targets = targets;
    this.sentNanos = new long[o.count()];
    this.roundTripMs = new double[o.count()];
    this.window = new Semaphore(o.concurrency());
    this.done = new CountDownLatch(o.count());
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(o.host(), o.port()), 5_000);
    out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
  }

  /** Starts sending; {@link #done()} tells when every command has its answer. */
  void start() {
    Thread reader = new Thread(this::read, "loadgen-command-replies");
    reader.setDaemon(true);
    reader.start();
    Thread writer = new Thread(this::send, "loadgen-commands");
    writer.setDaemon(true);
    writer.start();
  }

  boolean done() {
    return done.getCount() == 0;
  }

  private void send() {
    try {
      firstSentNanos = System.nanoTime();
      for (int i = 0; i < o.count(); i++) {
        window.acquire();
        String device = targets.get(i % targets.size());
        JsonObject frame =
            new JsonObject()
                .put("type", "send")
                .put("address", Addresses.COMMAND)
                .put(
                    "body",
                    new JsonObject()
                        .put("deviceId", device)
                        .put("name", NAME)
                        .put("payload", new JsonObject().put("d", device))
                        .put("timeoutMs", o.timeoutMs()))
                .put("replyAddress", "cmd-" + i);
        byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
          sentNanos[i] = System.nanoTime();
          out.writeInt(bytes.length);
          out.write(bytes);
          out.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      System.err.println("loadgen: sending commands failed: " + e);
    }
  }

  private void read() {
    try (DataInputStream in = new DataInputStream(socket.getInputStream())) {
      while (done.getCount() > 0) {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        long now = System.nanoTime();
        JsonObject frame = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        String address = frame.getString("address", "");
        if (!address.startsWith("cmd-")) {
          continue; // e.g. a pong
        }
        int i = Integer.parseInt(address.substring(4));
        String outcome;
        if ("err".equals(frame.getString("type"))) {
          outcome = "failed " + frame.getValue("failureCode");
        } else {
          outcome = "status " + frame.getJsonObject("body").getValue("status");
        }
        synchronized (outcomes) {
          outcomes.merge(outcome, 1, Integer::sum);
        }
        roundTripMs[i] = (now - sentNanos[i]) / 1e6;
        lastAnswerNanos = now;
        window.release();
        done.countDown();
      }
    } catch (IOException | RuntimeException e) {
      if (!socket.isClosed()) {
        System.err.println("loadgen: command bridge connection lost: " + e);
      }
      while (done.getCount() > 0) {
        done.countDown(); // nothing more will come: end the run with what was measured
      }
    }
  }

  JsonObject result() {
    double seconds = (lastAnswerNanos - firstSentNanos) / 1e9;
    JsonObject byOutcome = new JsonObject();
    synchronized (outcomes) {
      outcomes.forEach(byOutcome::put);
    }
    return new JsonObject()
        .put("commands", o.count())
        .put("concurrency", o.concurrency())
        .put("targets", targets.size())
        .put("bridge", o.host() + ":" + o.port())
        .put("outcomes", byOutcome)
        .put("roundTripMs", Summary.of(roundTripMs).toJson())
        .put("seconds", Math.round(seconds * 1000) / 1000.0)
        .put("perSecond", seconds > 0 ? Math.round(o.count() / seconds) : 0);
  }

  static String text(JsonObject r) {
    JsonObject rt = r.getJsonObject("roundTripMs");
    return String.format(
        "commands: %d to %d devices via %s, %d in flight: %s in %.1f s = %d/s%n"
            + "  round trip ms: p50=%s p99=%s max=%s min=%s%n",
        r.getInteger("commands"),
        r.getInteger("targets"),
        r.getString("bridge"),
        r.getInteger("concurrency"),
        r.getJsonObject("outcomes").encode(),
        r.getDouble("seconds"),
        r.getLong("perSecond"),
        rt.getValue("p50"),
        rt.getValue("p99"),
        rt.getValue("max"),
        rt.getValue("min"));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Subscribes to {@code sessions.closed} through the broker's TCP event bus bridge (frames: 4-byte
 * big-endian length + UTF-8 JSON, docs/events.md) and keeps the last close of each of this run's
 * devices.
 *
 * <p>Every process of a run gets every close of the run from the bridge; each parses only the
 * frames of its own devices (found by a text search for the device id, before any JSON parsing).
 * With four generator processes and 19,000 devices, parsing all of them cost each process about a
 * third of a core for seconds during the reconnect storm, on the two cores the broker is measured
 * on (docs/benchmarks.md, "The reconnect storm, warm and cold, eleventh round").
 */
final class BridgeWatch implements AutoCloseable {

  private static final String SYNC_REPLY = "loadgen-sync";

  /** How the broker's compact JSON names a close's device: {@code "deviceId":"ID"}. */
  private static final String DEVICE_KEY = "\"deviceId\":\"";

  private final Socket socket = new Socket();
  private final DataOutputStream out;
  private final String prefix;
  private final int first;
  private final int count;
  private final Map<String, JsonObject> closes = new ConcurrentHashMap<>();

  /** Every close seen, {@link #forget} or not: the losses of active devices ({@link Losses}). */
  private final Map<String, JsonObject> everyClose = new ConcurrentHashMap<>();

  private final CountDownLatch synced = new CountDownLatch(1);

  /**
   * Watches the closes of devices {@code prefix + first} to {@code prefix + (first + count - 1)}.
   */
  BridgeWatch(String host, int port, String prefix, int first, int count)
      throws IOException, InterruptedException {
    this.prefix = prefix;
    this.first = first;
    this.count = count;
    socket.connect(new InetSocketAddress(host, port), 5_000);
    out = new DataOutputStream(socket.getOutputStream());
    Thread reader = new Thread(this::read, "loadgen-bridge");
    reader.setDaemon(true);
    reader.start();
    write(new JsonObject().put("type", "register").put("address", Addresses.CLOSED));
    // the bridge answers in order: a reply to a later request proves the registration is in place
    write(
        new JsonObject()
            .put("type", "send")
            .put("address", Addresses.ADMIN_COUNT)
            .put("body", new JsonObject())
            .put("replyAddress", SYNC_REPLY));
    if (!synced.await(10, TimeUnit.SECONDS)) {
      throw new IOException("the bridge at " + host + ":" + port + " did not answer within 10 s");
    }
  }

  /** Forgets the closes seen so far. */
  void forget() {
    closes.clear();
  }

  /** How many of the watched devices have a close seen (since the last {@link #forget}). */
  int seen() {
    return closes.size();
  }

  /** The last {@code sessions.closed} body seen for {@code deviceId} in the run, or null. */
  JsonObject anyCloseOf(String deviceId) {
    return everyClose.get(deviceId);
  }

  /** The last {@code sessions.closed} body seen for {@code deviceId}, or null. */
  JsonObject closeOf(String deviceId) {
    return closes.get(deviceId);
  }

  private void read() {
    // buffered: many frames per read of the socket; unbuffered, readInt alone read it four times
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16))) {
      while (true) {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        String text = new String(bytes, StandardCharsets.UTF_8);
        String named = deviceIdIn(text);
        if (named != null && !isMine(named)) {
          continue; // another process's device: not parsed
        }
        JsonObject frame = new JsonObject(text);
        if (SYNC_REPLY.equals(frame.getString("address"))) {
          synced.countDown();
        } else if ("message".equals(frame.getString("type"))
            && frame.getValue("body") instanceof JsonObject body
            && isMine(body.getString("deviceId", ""))) {
          closes.put(body.getString("deviceId"), body);
          everyClose.put(body.getString("deviceId"), body);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!socket.isClosed()) {
        System.err.println("loadgen: bridge connection lost: " + e);
      }
    }
  }

  /** The device id a frame names, found without parsing it; null if it names none this way. */
  static String deviceIdIn(String frame) {
    int key = frame.indexOf(DEVICE_KEY);
    if (key < 0) {
      return null;
    }
    int from = key + DEVICE_KEY.length();
    int to = frame.indexOf('"', from);
    return to < 0 ? null : frame.substring(from, to);
  }

  private boolean isMine(String deviceId) {
    return inRange(deviceId, prefix, first, count);
  }

  /**
   * Whether {@code deviceId} is {@code prefix + i} for an {@code i} in {@code [first, first +
   * count)}.
   */
  static boolean inRange(String deviceId, String prefix, int first, int count) {
    if (!deviceId.startsWith(prefix)) {
      return false;
    }
    try {
      int index = Integer.parseInt(deviceId, prefix.length(), deviceId.length(), 10);
      return index >= first && index < first + count;
    } catch (NumberFormatException e) {
      return false; // another run's device with a longer prefix, such as PREFIX + "rehearsal-"
    }
  }

  private synchronized void write(JsonObject frame) throws IOException {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

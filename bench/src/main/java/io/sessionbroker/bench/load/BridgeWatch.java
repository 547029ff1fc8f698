package io.sessionbroker.bench.load;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
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
 */
final class BridgeWatch implements AutoCloseable {

  private static final String SYNC_REPLY = "loadgen-sync";

  private final Socket socket = new Socket();
  private final DataOutputStream out;
  private final String prefix;
  private final Map<String, JsonObject> closes = new ConcurrentHashMap<>();
  private final CountDownLatch synced = new CountDownLatch(1);

  BridgeWatch(String host, int port, String prefix) throws IOException, InterruptedException {
    this.prefix = prefix;
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

  /** The last {@code sessions.closed} body seen for {@code deviceId}, or null. */
  JsonObject closeOf(String deviceId) {
    return closes.get(deviceId);
  }

  private void read() {
    try (DataInputStream in = new DataInputStream(socket.getInputStream())) {
      while (true) {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        JsonObject frame = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        if (SYNC_REPLY.equals(frame.getString("address"))) {
          synced.countDown();
        } else if ("message".equals(frame.getString("type"))
            && frame.getValue("body") instanceof JsonObject body
            && body.getString("deviceId", "").startsWith(prefix)) {
          closes.put(body.getString("deviceId"), body);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!socket.isClosed()) {
        System.err.println("loadgen: bridge connection lost: " + e);
      }
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

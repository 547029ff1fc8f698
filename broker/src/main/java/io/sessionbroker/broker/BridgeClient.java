package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A client of the TCP event bus bridge over a plain socket, as a program in any language would
 * write it: each frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
 * Used by {@code bin/broker watch} and by the integration tests.
 */
public final class BridgeClient implements AutoCloseable {

  /**
   * The largest frame read (the broker's answers are pages of at most 1,000 sessions): a length
   * beyond it is a stream out of step, not a frame to allocate.
   */
  private static final int MAX_FRAME_BYTES = 64 << 20;

  private final Socket socket;
  private final DataOutputStream out;
  private final List<JsonObject> received = new ArrayList<>();
  private volatile IOException failure;
  private volatile Consumer<JsonObject> messageTap;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  private final JsonObject authorization;

  public BridgeClient(String host, int port) throws IOException {
    this(host, port, "");
  }

  /**
   * A client whose every frame carries {@code token} ({@code http.adminToken}) as the bridge asks
   * when one is set; an empty token sends none.
   */
  public BridgeClient(String host, int port, String token) throws IOException {
    this.authorization =
        token.isEmpty() ? null : new JsonObject().put("authorization", "Bearer " + token);
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 5_000);
    out = new DataOutputStream(socket.getOutputStream());
    Thread reader = new Thread(this::read, "bridge-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * From now on, hands every message published on a {@link #register registered} address to {@code
   * tap}, on the reader thread and in arrival order, instead of keeping it for {@link
   * #awaitMessage} and {@link #next}; replies still reach {@link #request}. For a subscriber that
   * must see every event, however long it runs.
   */
  public void tap(Consumer<JsonObject> tap) {
    this.messageTap = tap;
  }

  /**
   * Waits until the bridge has closed the connection (the broker stopped); false after {@code
   * timeout}.
   */
  public synchronized boolean awaitClosed(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (failure == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /**
   * Subscribes to {@code address}; messages published there arrive as frames of type {@code
   * message}.
   */
  public void register(String address) throws IOException {
    registered.add(address);
    write(new JsonObject().put("type", "register").put("address", address));
  }

  /**
   * Registers and waits until the bridge has processed it: the bridge answers frames in order, so a
   * reply to a request sent after the registration proves the registration is in place.
   */
  public void registerAndSync(String... addresses) throws IOException, InterruptedException {
    for (String address : addresses) {
      register(address);
    }
    request(Addresses.ADMIN_COUNT, new JsonObject(), Duration.ofSeconds(10));
  }

  /**
   * Sends a request and returns the frame that answers it as it came: {@code
   * {"type":"message",…,"body":…}}, or {@code {"type":"err",…,"failureCode":n,"message":…}}.
   */
  public JsonObject exchange(String address, JsonObject body, Duration timeout)
      throws IOException, InterruptedException {
    String replyAddress = "reply-" + UUID.randomUUID();
    write(
        new JsonObject()
            .put("type", "send")
            .put("address", address)
            .put("body", body)
            .put("replyAddress", replyAddress));
    return awaitFrame(f -> replyAddress.equals(f.getString("address")), timeout);
  }

  /**
   * Sends a request and waits for its reply; a failure reply becomes an {@link
   * IllegalStateException}.
   */
  public JsonObject request(String address, JsonObject body, Duration timeout)
      throws IOException, InterruptedException {
    String replyAddress = "reply-" + UUID.randomUUID();
    write(
        new JsonObject()
            .put("type", "send")
            .put("address", address)
            .put("body", body)
            .put("replyAddress", replyAddress));
    JsonObject reply =
        awaitFrame(
            f -> replyAddress.equals(f.getString("address")) || "err".equals(f.getString("type")),
            timeout);
    if ("err".equals(reply.getString("type")) || reply.containsKey("failureCode")) {
      throw new IllegalStateException("request to " + address + " failed: " + reply.encode());
    }
    return reply.getJsonObject("body");
  }

  /**
   * The body of the next message published on {@code address} that matches and was not returned
   * before.
   */
  public JsonObject awaitMessage(String address, Predicate<JsonObject> matching, Duration timeout)
      throws IOException, InterruptedException {
    return awaitFrame(
            f ->
                "message".equals(f.getString("type"))
                    && address.equals(f.getString("address"))
                    && f.getValue("body") instanceof JsonObject body
                    && matching.test(body),
            timeout)
        .getJsonObject("body");
  }

  /** Every frame received and not yet returned by an await. */
  public synchronized List<JsonObject> pending() {
    return List.copyOf(received);
  }

  /** Blocks for the next frame of any kind; null after {@code timeout}. For {@code watch}. */
  public synchronized JsonObject next(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.isEmpty()) {
      checkOpen();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return received.remove(0);
  }

  private synchronized JsonObject awaitFrame(Predicate<JsonObject> matching, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (JsonObject frame : received) {
        if (matching.test(frame)) {
          received.remove(frame);
          return frame;
        }
      }
      checkOpen();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "no matching bridge frame within " + timeout + "; received: " + received);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  private void checkOpen() throws IOException {
    if (failure != null) {
      throw new IOException("bridge connection lost", failure);
    }
  }

  private synchronized void write(JsonObject frame) throws IOException {
    if (authorization != null) {
      frame.put("headers", authorization);
    }
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  private void read() {
    // Buffered: unbuffered, each frame cost five reads from the socket (four for its length).
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(socket.getInputStream()))) {
      while (true) {
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME_BYTES) {
          throw new IOException(
              "a frame of " + Integer.toUnsignedLong(length) + " bytes announced");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        JsonObject frame = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
        Consumer<JsonObject> tap = messageTap;
        if (tap != null
            && "message".equals(frame.getString("type"))
            && registered.contains(frame.getString("address"))) {
          tap.accept(frame);
          continue;
        }
        synchronized (this) {
          received.add(frame);
          notifyAll();
        }
      }
    } catch (IOException e) {
      fail(e instanceof EOFException ? new IOException("bridge closed the connection") : e);
    } catch (RuntimeException e) {
      // A frame that is not JSON, or a tap that threw: the reader used to die silently, and every
      // wait on this client ran out its timeout ("watch" printed nothing, a test waited 30 s).
      fail(new IOException("bridge client stopped reading: " + e, e));
    }
  }

  private synchronized void fail(IOException why) {
    failure = why;
    notifyAll();
  }

  /**
   * Why this client no longer reads the connection (the bridge closed it, or a frame could not be
   * read: its cause is then a {@link RuntimeException}); null while it does.
   */
  public IOException failure() {
    return failure;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

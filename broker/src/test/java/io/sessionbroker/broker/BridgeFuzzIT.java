package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.fuzz.FuzzBudget;
import io.sessionbroker.testkit.fuzz.FuzzRun;
import io.sessionbroker.testkit.fuzz.HealthyFleet;
import io.sessionbroker.testkit.fuzz.JsonMutations;
import io.sessionbroker.testkit.fuzz.LogWatch;
import io.sessionbroker.testkit.fuzz.Mutator;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the TCP event bus bridge (docs/events.md "Subscribing from outside the JVM": frames of a
 * 4-byte big-endian length and that many bytes of JSON) with mutants of recorded valid sessions —
 * register, unregister, ping, admin requests, refused publishes — while healthy TCP devices
 * heartbeat and healthy bridge clients ping beside them, on a whole broker.
 *
 * <p>The fuzzer frames its own input as the bridge must: where the input ends inside a frame whose
 * length is within {@link #MAX_FRAME_BYTES}, it completes the frame with zero bytes; then it sends
 * a {@code ping} frame. With every byte of every frame in, the bridge owes an answer at once: the
 * {@code pong} (after any {@code message} or {@code err} frames the input asked for) or a close. A
 * frame whose length is negative or over the bound must be closed at once, never buffered toward
 * (issue 13: "never buffer toward a length a client announced"). What the bridge sends must be
 * well-formed frames of the documented types. The bridge opens no sessions, so no session may close
 * during the run (the event contract: this test expects no close), and the healthy sessions stay.
 */
class BridgeFuzzIT {

  /**
   * Known bug, fixed by the bridge work of issue 13 (bound bridge frames, close on anything larger
   * at once): today the bridge waits for the bytes a huge length announces (e.g. "GET " read as a
   * 1.2 GB frame), or fails on a negative one. While true, such a try's hang is counted as a known
   * bug. Remove after merging that fix.
   */
  static final boolean KNOWN_BUG_BRIDGE_FRAME_LENGTH_HANG = false;

  /**
   * Found by this fuzzer, owned by no change of issue 13 yet (vertx-tcp-eventbus-bridge 5.1.6,
   * {@code TcpEventBusBridgeImpl}): a frame that is a JSON object whose {@code type} is missing
   * (taken as "message"), unknown or not a string, or whose {@code address}, {@code replyAddress}
   * or {@code headers} have the wrong type, throws in the bridge's frame handler ("Unhandled
   * exception", logged at ERROR) before the frame is consumed, so the parser reads the next bytes
   * from the middle of that frame: the connection is left hanging, answering nothing more. While
   * true, such a try's hang is counted under its own label instead of failing.
   */
  static final boolean KNOWN_ISSUE_BRIDGE_BAD_FIELD_HANGS = false;

  /**
   * Found by this fuzzer, owned by no change of issue 13 yet: the bridge logs every frame it cannot
   * use at ERROR (a frame that is not JSON: the decoder's message; a frame without an address; the
   * exceptions above), so any client that can reach the bridge writes ERROR lines at will; a frame
   * that is not JSON gets no {@code err} frame either. While true, those log entries are counted,
   * not failed.
   */
  static final boolean KNOWN_ISSUE_BRIDGE_LOGS_CLIENT_ERRORS = false;

  /** The frame bound the bridge work of issue 13 introduces (1 MiB). */
  static final int MAX_FRAME_BYTES = 1 << 20;

  private static final long ANSWER_MS = 3000;
  private static final Set<String> TYPES = Set.of("message", "err", "pong");
  private static final Set<String> BRIDGE_TYPES =
      Set.of("send", "publish", "register", "unregister", "ping");

  /** Recorded valid sessions: the frames' JSON texts. */
  private static final List<List<String>> SESSIONS =
      List.of(
          List.of(
              "{\"type\":\"register\",\"address\":\"sessions.closed\"}",
              "{\"type\":\"ping\"}",
              "{\"type\":\"send\",\"address\":\"sessions.admin.count\",\"body\":{},"
                  + "\"replyAddress\":\"r1\"}",
              "{\"type\":\"unregister\",\"address\":\"sessions.closed\"}"),
          List.of(
              "{\"type\":\"send\",\"address\":\"sessions.admin.get\","
                  + "\"body\":{\"deviceId\":\"nobody\"},\"replyAddress\":\"r2\"}",
              "{\"type\":\"publish\",\"address\":\"sessions.opened\",\"body\":{}}",
              "{\"type\":\"ping\"}"),
          List.of(
              "{\"type\":\"register\",\"address\":\"sessions.rejected\",\"headers\":{\"a\":\"b\"}}",
              "{\"type\":\"send\",\"address\":\"sessions.admin.list\",\"body\":{\"limit\":5},"
                  + "\"replyAddress\":\"r3\",\"headers\":{\"timeout\":5000}}",
              "{\"type\":\"register\",\"address\":\"sessions.admin.kick\"}",
              "{\"type\":\"send\",\"address\":\"sessions.admin.events\",\"body\":{\"fromSeq\":0,"
                  + "\"max\":3},\"replyAddress\":\"r4\"}"));

  private int bridgePort;

  /**
   * Verifies that thousands of malformed bridge sessions are each answered or closed at once, with
   * well-formed frames only, while healthy devices and bridge clients beside them carry on, and
   * that the broker is left as it was: no exception logged, no session closed, bounded memory.
   */
  @Test
  void malformedFramesAreAnsweredOrClosedAtOnceWhileHealthyClientsLive() throws Exception {
    // given a whole broker, two healthy TCP devices heartbeating and two healthy bridge clients
    FuzzBudget budget = FuzzBudget.fromSystemProperties(400);
    try (LogWatch log = LogWatch.start();
        BrokerHarness harness = BrokerHarness.start()) {
      bridgePort = harness.conf.getJsonObject("bridge").getInteger("port");
      long heapBefore = heapAfterGc();
      List<HealthyFleet.Device> healthy = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        healthy.add(new HealthyTcp("healthy-bridge-tcp-" + i, harness.broker.tcpPort()));
        healthy.add(new HealthyBridge("healthy-bridge-client-" + i, bridgePort));
      }
      try (HealthyFleet fleet = HealthyFleet.start(healthy, Duration.ofMillis(300))) {
        // when the fuzzer runs
        FuzzRun.Report report = FuzzRun.run("bridge", budget, 16, this::trial);

        // then every try was answered or closed, and the broker is as it was
        assertThat(report.findings()).as(report.text()).isEmpty();
        fleet.assertHealthy(1);
        Awaitility.await("sessions back to the healthy devices")
            .atMost(Duration.ofSeconds(15))
            .until(
                () ->
                    harness
                            .broker
                            .table()
                            .admin()
                            .count()
                            .await(10, TimeUnit.SECONDS)
                            .getInteger("total")
                        == 2);
        assertThat(heapAfterGc() - heapBefore)
            .as("heap growth over the run, after GC")
            .isLessThan(64L << 20);
        List<String> clientErrors = log.unexpected(entry -> !clientError(entry));
        System.out.printf("bridge: %d ERROR entries for bad client frames%n", clientErrors.size());
        assertThat(log.unexpected(BridgeFuzzIT::clientError))
            .as("WARN/ERROR log entries")
            .isEmpty();
      }
    }
  }

  /** A log entry of the bridge library about a client's bad frame (see the known issue). */
  private static boolean clientError(String entry) {
    // Only the bridge gets hostile input in this test. After many throws the JVM drops the stack
    // trace of an exception (OmitStackTraceInFastThrow), so a bare one counts as the bridge's too.
    return KNOWN_ISSUE_BRIDGE_LOGS_CLIENT_ERRORS
        && (entry.contains(" ERROR io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl - ")
            || entry.contains(" ERROR io.vertx.core.impl.ContextImpl - Unhandled exception")
                && (entry.contains("at io.vertx.ext.eventbus.bridge.tcp.impl.")
                    || !entry.contains("\tat ")));
  }

  private static long heapAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- mutations

  private static byte[] frame(byte[] json) {
    return ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array();
  }

  private static Mutator mutator() {
    List<List<byte[]>> corpus = new ArrayList<>();
    for (List<String> session : SESSIONS) {
      corpus.add(session.stream().map(j -> frame(j.getBytes(StandardCharsets.UTF_8))).toList());
    }
    Mutator json =
        JsonMutations.addTo(
            Mutator.withoutGenericMutations(),
            "",
            64 * 1024,
            "send",
            "publish",
            "register",
            "unregister",
            "ping",
            "message");
    return new Mutator(corpus)
        .add("json-in-frame", 8, (packets, random) -> jsonInFrame(json, packets, random))
        .add("length-lie", 4, BridgeFuzzIT::lengthLie)
        .add("http-request", 1, (packets, random) -> httpRequest(packets));
  }

  /** A frame's JSON mutated as the JSON wires' are, re-framed with its new length. */
  private static List<byte[]> jsonInFrame(Mutator json, List<byte[]> packets, Random random) {
    int index = Mutator.somePacket(packets, random);
    if (index < 0 || packets.get(index).length < 4) {
      return packets;
    }
    byte[] packet = packets.get(index);
    List<byte[]> body =
        new ArrayList<>(List.of(java.util.Arrays.copyOfRange(packet, 4, packet.length)));
    packets.set(index, frame(json.mutate(body, random).bytes()));
    return packets;
  }

  /** A frame whose length says something else: shorter, longer, over the bound, negative, zero. */
  private static List<byte[]> lengthLie(List<byte[]> packets, Random random) {
    int index = Mutator.somePacket(packets, random);
    if (index < 0 || packets.get(index).length < 4) {
      return packets;
    }
    byte[] packet = packets.get(index);
    int length = packet.length - 4;
    int lie =
        switch (random.nextInt(6)) {
          case 0 -> Math.max(0, length - 1 - random.nextInt(8));
          case 1 -> length + 1 + random.nextInt(64);
          case 2 -> MAX_FRAME_BYTES + 1 + random.nextInt(Integer.MAX_VALUE - MAX_FRAME_BYTES - 1);
          case 3 -> -1 - random.nextInt(Integer.MAX_VALUE);
          case 4 -> random.nextInt(MAX_FRAME_BYTES);
          default -> 0;
        };
    ByteBuffer.wrap(packet).putInt(lie);
    return packets;
  }

  /** What curl sends: "GET " is a frame length of 1,195,725,856. */
  private static List<byte[]> httpRequest(List<byte[]> packets) {
    packets.clear();
    packets.add(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
    return packets;
  }

  // ---- one try

  private String trial(int index, Random random) throws Exception {
    List<byte[]> session =
        SESSIONS.get(random.nextInt(SESSIONS.size())).stream()
            .map(j -> frame(j.getBytes(StandardCharsets.UTF_8)))
            .toList();
    Mutator.Mutant mutant = mutator().mutate(session, random);
    byte[] input = mutant.bytes();
    Framing framing = Framing.of(input);
    String what =
        "mutations "
            + mutant.applied()
            + ", framing "
            + framing
            + ", input "
            + FuzzRun.printable(input, 500);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", bridgePort), 5000);
      write(socket, input);
      write(socket, framing.completion);
      if (!framing.outOfBounds) {
        write(socket, frame("{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8)));
      }
      return judge(socket, framing, what);
    }
  }

  private static void write(Socket socket, byte[] bytes) {
    try {
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
    } catch (IOException e) {
      // the bridge closed while the input was still coming: checked on reading
    }
  }

  /**
   * The input cut into frames: what completes the last one, and whether a length is out of bounds.
   */
  private static final class Framing {
    byte[] completion = new byte[0];
    boolean outOfBounds;
    boolean badField;
    int frames;

    static Framing of(byte[] input) {
      Framing framing = new Framing();
      int at = 0;
      while (at < input.length) {
        if (input.length - at < 4) { // the length is cut short: zero bytes complete it
          byte[] header = java.util.Arrays.copyOfRange(input, at, at + 4);
          int length = ByteBuffer.wrap(header).getInt();
          framing.frames++;
          if (length < 0 || length > MAX_FRAME_BYTES) {
            framing.completion = new byte[4 - (input.length - at)];
            framing.outOfBounds = true;
          } else {
            framing.completion = new byte[4 - (input.length - at) + length];
          }
          return framing;
        }
        int length = ByteBuffer.wrap(input, at, 4).getInt();
        framing.frames++;
        if (length < 0 || length > MAX_FRAME_BYTES) {
          framing.outOfBounds = true;
          return framing;
        }
        long end = (long) at + 4 + length;
        if (end > input.length) {
          framing.completion = new byte[(int) (end - input.length)];
          return framing;
        }
        framing.badField |= badField(new String(input, at + 4, length, StandardCharsets.UTF_8));
        at = (int) end;
      }
      return framing;
    }

    /** A JSON object the bridge's frame handler throws on (see the known issue). */
    private static boolean badField(String text) {
      JsonObject frame;
      try {
        frame = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        return false; // not JSON: logged and skipped, the parser goes on
      }
      Object type = frame.getValue("type", "message");
      Object headers = frame.getValue("headers");
      boolean headersOk =
          headers == null
              || headers instanceof JsonObject h
                  && h.stream()
                      .allMatch(
                          e ->
                              e.getKey().equals("timeout")
                                  ? e.getValue() instanceof Number
                                  : e.getKey().equals("localOnly")
                                      ? e.getValue() instanceof Boolean
                                      : e.getValue() == null || e.getValue() instanceof String);
      return !(type instanceof String t && BRIDGE_TYPES.contains(t))
          || !(frame.getValue("address") == null || frame.getValue("address") instanceof String)
          || !(frame.getValue("replyAddress") == null
              || frame.getValue("replyAddress") instanceof String)
          || !(frame.getValue("failureCode") == null
              || frame.getValue("failureCode") instanceof Integer)
          || !headersOk;
    }

    @Override
    public String toString() {
      return frames
          + " frames"
          + (outOfBounds ? ", a length out of bounds" : "")
          + (badField ? ", a field of the wrong type" : "")
          + (completion.length > 0 ? ", completed with " + completion.length + " bytes" : "");
    }
  }

  private static String judge(Socket socket, Framing framing, String what) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_MS);
    List<String> seen = new ArrayList<>();
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      try {
        if (left <= 0) {
          throw new SocketTimeoutException();
        }
        socket.setSoTimeout((int) left);
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME_BYTES) {
          throw new AssertionError("the bridge sent a frame length of " + length + "; " + what);
        }
        byte[] body = new byte[length];
        in.readFully(body);
        JsonObject frame;
        try {
          frame = new JsonObject(new String(body, StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
          throw new AssertionError("the bridge sent a frame that is not a JSON object; " + what);
        }
        String type = String.valueOf(frame.getValue("type"));
        seen.add(type + (frame.containsKey("message") ? " " + frame.getValue("message") : ""));
        if (!TYPES.contains(type)) {
          throw new AssertionError("an undocumented frame " + frame.encode() + "; " + what);
        }
        if (type.equals("pong") && !framing.outOfBounds) {
          return "answered the probe";
        }
      } catch (EOFException e) {
        return framing.outOfBounds ? "length out of bounds: closed" : "closed " + seen;
      } catch (SocketTimeoutException e) {
        if (framing.outOfBounds && KNOWN_BUG_BRIDGE_FRAME_LENGTH_HANG) {
          return FuzzRun.KNOWN_BUG + "a frame length out of bounds is waited on, not closed";
        }
        if (framing.badField && KNOWN_ISSUE_BRIDGE_BAD_FIELD_HANGS) {
          return FuzzRun.KNOWN_BUG + "a frame with a field of the wrong type hangs the parser";
        }
        throw new AssertionError(
            "left hanging: neither answered nor closed within "
                + ANSWER_MS
                + " ms, frames "
                + seen
                + "; "
                + what);
      } catch (IOException e) {
        return "closed (reset)";
      }
    }
  }

  /** A healthy device on the broker's TCP listener. */
  private static final class HealthyTcp implements HealthyFleet.Device {
    private final String id;
    private final TcpDevice device;

    HealthyTcp(String id, int port) throws IOException {
      this.id = id;
      this.device = new TcpDevice("127.0.0.1", port);
      JsonObject welcome = device.hello(id, 2);
      if (!"welcome".equals(welcome.getString("type"))) {
        throw new IllegalStateException("not welcomed: " + welcome);
      }
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void beat() throws Exception {
      device.send(new JsonObject().put("type", "ping"));
      JsonObject answer = device.read(Duration.ofSeconds(10));
      if (!"pong".equals(answer.getString("type"))) {
        throw new AssertionError("expected a pong, got " + answer);
      }
    }

    @Override
    public void close() throws IOException {
      device.close();
    }
  }

  /** A healthy bridge client: a ping frame every beat, answered by a pong frame. */
  private static final class HealthyBridge implements HealthyFleet.Device {
    private final String id;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    HealthyBridge(String id, int port) throws IOException {
      this.id = id;
      this.socket = new Socket("127.0.0.1", port);
      this.in = new DataInputStream(socket.getInputStream());
      this.out = new DataOutputStream(socket.getOutputStream());
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void beat() throws Exception {
      out.write(frame("{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8)));
      out.flush();
      socket.setSoTimeout(10_000);
      byte[] body = new byte[in.readInt()];
      in.readFully(body);
      String answer = new String(body, StandardCharsets.UTF_8);
      if (!new JsonObject(answer).getString("type").equals("pong")) {
        throw new AssertionError("expected a pong, got " + answer);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}

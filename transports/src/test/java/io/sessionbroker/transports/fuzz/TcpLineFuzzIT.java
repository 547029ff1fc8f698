package io.sessionbroker.transports.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.testkit.fuzz.FuzzBudget;
import io.sessionbroker.testkit.fuzz.FuzzRun;
import io.sessionbroker.testkit.fuzz.HealthyFleet;
import io.sessionbroker.testkit.fuzz.JsonMutations;
import io.sessionbroker.testkit.fuzz.Mutator;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.tcp.TcpOptions;
import io.sessionbroker.transports.tcp.TcpTransport;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the raw TCP wire (JSON lines, docs/protocol.md "Raw TCP" and "Errors") with mutants of
 * recorded valid sessions, while healthy devices heartbeat beside them.
 *
 * <p>What each try checks, from the outside, as a device would see it:
 *
 * <ul>
 *   <li>every line the broker sends is a JSON object of a documented type ({@code welcome}, {@code
 *       pong}, {@code error} with a documented code, {@code bye} with a broker's reason), and an
 *       {@code error} or {@code bye} is the last line before the close;
 *   <li>a connection that never got a {@code welcome} is closed, after an {@code error}, within the
 *       handshake timeout (plus slack for a loaded machine) of the input's end;
 *   <li>a connection that got a {@code welcome} either answers a {@code ping} probe with a {@code
 *       pong} (the input was valid after all), or ends within the session's timeout of the input's
 *       end (TIMEOUT) or at once (an {@code error}, or the device's own {@code bye}).
 * </ul>
 *
 * Half the tries end their input with that probe line (which also ends a line the input left open);
 * the other half leave the connection silent, so that the handshake timeout and the session timeout
 * are what must end it. After the run: no healthy session was closed, the table and the transport's
 * connection count are back to the healthy ones, the heap is bounded, nothing threw and nothing was
 * logged at WARN or ERROR.
 */
class TcpLineFuzzIT {

  private static final int HANDSHAKE_MS = 1000;
  private static final int MAX_FRAME_BYTES = 8192;

  /** Room for a loaded 2-core machine beyond each deadline the broker promises. */
  private static final long SLACK_MS = 3000;

  private static final byte[] PROBE = "\n{\"type\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8);

  private static final Set<String> ERROR_CODES =
      Set.of(
          "bad_frame",
          "frame_too_large",
          "protocol_error",
          "bad_hello",
          "auth_failed",
          "handshake_timeout",
          "unavailable");

  private static final Set<String> BYE_REASONS = Set.of("TIMEOUT", "TAKEN_OVER", "KICKED");

  /** Recorded valid sessions; {@code DEV} is each try's own device id. */
  private static final List<String> SESSIONS =
      List.of(
          "{\"type\":\"hello\",\"device\":\"DEV\",\"heartbeat\":1}\n{\"type\":\"ping\"}\n"
              + "{\"type\":\"ping\",\"status\":{\"battery\":80}}\n"
              + "{\"type\":\"data\",\"payload\":{\"t\":21.5}}\n{\"type\":\"bye\"}\n",
          "{\"type\":\"hello\",\"device\":\"DEV\",\"heartbeat\":0.5}\r\n{\"type\":\"ping\"}\r\n"
              + "{\"type\":\"data\",\"payload\":[1,2,3]}\r\n",
          "{\"type\":\"hello\",\"device\":\"DEV\"}\n{\"type\":\"data\",\"payload\":\"text\"}\n"
              + "{\"type\":\"ping\",\"status\":{}}\n",
          "{\"type\":\"hello\",\"device\":\"DEV\",\"heartbeat\":0}\n{\"type\":\"ping\"}\n",
          "{\"type\":\"hello\",\"heartbeat\":2,\"device\":\"DEV\",\"token\":\"abc\"}\n"
              + "{\"type\":\"ping\",\"status\":{\"a\":{\"b\":[1,{\"c\":null}]}}}\n{\"type\":\"bye\"}\n");

  private FuzzFixture fixture;
  private TcpTransport tcp;

  /**
   * Verifies that thousands of malformed line sessions each get a documented error and a close
   * within their deadline (docs/protocol.md "Errors"), while healthy TCP sessions beside them are
   * never closed, and that the broker is left as it was: no exception, bounded memory, no leftover
   * session or connection.
   */
  @Test
  @ExpectCloses(
      value = {CloseReason.PROTOCOL_ERROR, CloseReason.TIMEOUT, CloseReason.TAKEN_OVER},
      extraLatenessMs = 2000)
  void malformedLinesGetTheirErrorAndCloseWhileHealthySessionsLive() throws Exception {
    // given a TCP transport with a 1 s handshake and four healthy devices heartbeating
    FuzzBudget budget = FuzzBudget.fromSystemProperties(1000);
    try (FuzzFixture fx = new FuzzFixture()) {
      fixture = fx;
      tcp =
          new TcpTransport(
              fx.tables.table,
              TcpOptions.fromJson(
                  new JsonObject()
                      .put("port", 0)
                      .put("handshakeTimeoutMs", HANDSHAKE_MS)
                      .put("maxFrameBytes", MAX_FRAME_BYTES)),
              DeviceAuth.NONE);
      fx.tables.vertx.deployVerticle(tcp).await(10, TimeUnit.SECONDS);
      List<HealthyTcp> healthy = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        healthy.add(new HealthyTcp("healthy-tcp-" + i, tcp.port()));
      }
      try (HealthyFleet fleet = HealthyFleet.start(healthy, Duration.ofMillis(300))) {
        // when the fuzzer runs
        FuzzRun.Report report = FuzzRun.run("tcp", budget, 16, this::trial);

        // then every try behaved, and the broker is as it was
        assertThat(report.findings()).as(report.text()).isEmpty();
        fleet.assertHealthy(1);
        fx.assertCleanAfterRun(fleet.ids(), tcp::connections, healthy.size(), entry -> false);
      }
    }
  }

  /**
   * The mutator of one try: its splice donors are the recorded sessions with the try's own device
   * id, so that a try never speaks for another's device (each try replays alone).
   */
  private static Mutator mutator(String device) {
    List<List<byte[]>> corpus = new ArrayList<>();
    for (String session : SESSIONS) {
      corpus.add(packets(session.replace("DEV", device)));
    }
    Mutator mutator = new Mutator(corpus);
    JsonMutations.addTo(mutator, "\n", MAX_FRAME_BYTES, "hello", "ping", "data", "bye", "pong");
    return mutator
        .add("no-newline", 2, TcpLineFuzzIT::dropNewline)
        .add("endless-line", 1, TcpLineFuzzIT::endlessLine);
  }

  /** A session's lines, each with its end. */
  private static List<byte[]> packets(String session) {
    List<byte[]> packets = new ArrayList<>();
    for (String line : session.split("(?<=\n)")) {
      packets.add(line.getBytes(StandardCharsets.UTF_8));
    }
    return packets;
  }

  /** Two lines run together. */
  private static List<byte[]> dropNewline(List<byte[]> packets, Random random) {
    int index = Mutator.somePacket(packets, random);
    if (index >= 0) {
      byte[] line = packets.get(index);
      if (line[line.length - 1] == '\n') {
        packets.set(index, Arrays.copyOf(line, line.length - 1));
      }
    }
    return packets;
  }

  /** A line without end, around the frame limit: just under it, at it, just over it. */
  private static List<byte[]> endlessLine(List<byte[]> packets, Random random) {
    byte[] line = new byte[MAX_FRAME_BYTES - 8 + random.nextInt(16)];
    Arrays.fill(line, (byte) (random.nextBoolean() ? 'x' : ' '));
    packets.add(random.nextInt(packets.size() + 1), line);
    return packets;
  }

  private String trial(int index, Random random) throws Exception {
    fixture.forgetEventsNowAndThen(index);
    String device = "fz-tcp-" + index;
    String session = SESSIONS.get(random.nextInt(SESSIONS.size())).replace("DEV", device);
    Mutator.Mutant mutant = mutator(device).mutate(packets(session), random);
    byte[] input = mutant.bytes();
    boolean probe = random.nextBoolean();
    String what =
        "mutations "
            + mutant.applied()
            + (probe ? " + probe" : "")
            + ", input "
            + FuzzRun.printable(input, 600);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", tcp.port()), 5000);
      write(socket, input);
      if (probe) {
        write(socket, PROBE);
      }
      long inputEnd = System.nanoTime();
      return new Reader(socket, what).outcome(inputEnd, probe);
    }
  }

  private static void write(Socket socket, byte[] bytes) {
    try {
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
    } catch (IOException e) {
      // the broker closed while the input was still coming: what it said is checked on reading
    }
  }

  /** Reads what the broker answers one try, and judges it. */
  private static final class Reader {
    private final Socket socket;
    private final BufferedReader in;
    private final String what;
    private final List<String> lines = new ArrayList<>();
    private JsonObject welcome;
    private JsonObject last;
    private boolean pongAfterWelcome;

    Reader(Socket socket, String what) throws IOException {
      this.socket = socket;
      this.in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      this.what = what;
    }

    String outcome(long inputEnd, boolean probed) throws IOException {
      long deadline = inputEnd + ms(HANDSHAKE_MS + SLACK_MS);
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return timedOut(probed);
        }
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        String line;
        try {
          line = in.readLine();
        } catch (SocketTimeoutException e) {
          continue; // the deadline decides
        } catch (IOException e) {
          return closed(true);
        }
        if (line == null) {
          return closed(false);
        }
        JsonObject frame = frame(line);
        if (welcome == null && "welcome".equals(frame.getString("type"))) {
          welcome = frame;
          Number timeout = frame.getNumber("timeout");
          // a session ends by TIMEOUT within its timeout of the last line it got (before now)
          deadline =
              timeout.doubleValue() > 0
                  ? System.nanoTime() + ms((long) (timeout.doubleValue() * 1000) + SLACK_MS)
                  : deadline;
        } else if ("pong".equals(frame.getString("type")) && welcome != null) {
          pongAfterWelcome = true;
          if (probed) {
            return "session answered the probe";
          }
        }
      }
    }

    /** Nothing more within the deadline: only a live session may be quiet. */
    private String timedOut(boolean probed) throws IOException {
      if (welcome != null && welcome.getNumber("timeout").doubleValue() == 0) {
        if (!probed) {
          // no deadline (heartbeat 0): the session must still answer
          write(socket, PROBE);
          socket.setSoTimeout((int) SLACK_MS);
          try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
              JsonObject frame = frame(line);
              if ("pong".equals(frame.getString("type"))) {
                return "session without deadline answered the probe";
              }
            }
            return closed(false);
          } catch (SocketTimeoutException e) {
            // fall through to the finding
          } catch (IOException e) {
            return closed(true);
          }
        } else if (pongAfterWelcome) {
          return "session answered the probe";
        }
      }
      throw new AssertionError(
          "left hanging: not closed within its deadline (welcome "
              + welcome
              + ", lines "
              + lines
              + "); "
              + what);
    }

    /** The broker closed: its last line must say why, unless the device said bye itself. */
    private String closed(boolean reset) {
      if (last == null
          || "welcome".equals(last.getString("type"))
          || "pong".equals(last.getString("type"))) {
        if (reset) {
          return welcome == null ? "closed (reset) before a session" : "session closed (reset)";
        }
        if (welcome == null) {
          throw new AssertionError("closed without an error frame, lines " + lines + "; " + what);
        }
        return "session ended by the device's bye";
      }
      String type = last.getString("type");
      if ("error".equals(type)) {
        return (welcome == null ? "rejected " : "session ended by error ") + last.getString("code");
      }
      return "session ended by bye " + last.getString("reason");
    }

    /**
     * One line from the broker: a JSON object of a documented type, and nothing after last words.
     */
    private JsonObject frame(String line) {
      lines.add(line);
      if (last != null
          && ("error".equals(last.getString("type")) || "bye".equals(last.getString("type")))) {
        throw new AssertionError("a line after the last words " + last + ": " + line + "; " + what);
      }
      JsonObject frame;
      try {
        frame = new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("the broker sent a line that is not JSON: " + line + "; " + what);
      }
      String type = String.valueOf(frame.getValue("type"));
      boolean documented =
          switch (type) {
            case "welcome", "pong" -> true;
            case "error" -> ERROR_CODES.contains(frame.getString("code"));
            case "bye" -> BYE_REASONS.contains(frame.getString("reason"));
            default -> false;
          };
      if (!documented) {
        throw new AssertionError("an undocumented frame: " + line + "; " + what);
      }
      last = frame;
      return frame;
    }
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  /** A healthy device: a ping every beat, answered by a pong. */
  private static final class HealthyTcp implements HealthyFleet.Device {
    private final String id;
    private final TcpDevice device;

    HealthyTcp(String id, int port) throws IOException {
      this.id = id;
      this.device = new TcpDevice("127.0.0.1", port);
      JsonObject welcome = device.hello(id, 2);
      if (!"welcome".equals(welcome.getString("type"))) {
        throw new IllegalStateException("healthy device not welcomed: " + welcome);
      }
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void beat() throws Exception {
      device.send(new JsonObject().put("type", "ping").put("status", new JsonObject()));
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
}

package io.sessionbroker.transports.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.fuzz.FuzzBudget;
import io.sessionbroker.testkit.fuzz.FuzzRun;
import io.sessionbroker.testkit.fuzz.HealthyFleet;
import io.sessionbroker.testkit.fuzz.JsonMutations;
import io.sessionbroker.testkit.fuzz.Mutator;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.websocket.WebSocketTransport;
import io.sessionbroker.transports.websocket.WsOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the WebSocket wire (RFC 6455 framing under the device protocol, docs/protocol.md
 * "WebSocket transport") with mutants of recorded valid sessions — an upgrade request and the
 * client's masked frames — while healthy WebSocket devices heartbeat beside them.
 *
 * <p>The oracle models the endpoint: the fuzzer reads its own frames as the RFC says a server must
 * and finds the first thing that ends the connection, with the close code RFC 6455 §7.4.1 and
 * docs/protocol.md give it: a framing error (an unmasked client frame §5.1, RSV bits without an
 * extension §5.2, a reserved opcode §5.2, a fragmented or over-125-byte control frame §5.5, a
 * continuation out of place §5.4) is 1002; a text message that is not UTF-8 is 1007 (§8.1); a
 * binary message 1003; a message over {@code maxFrameBytes} 1009; a frame the device protocol
 * refuses 1008 before the hello and 4003 after; the device's {@code bye} 1000; its close frame is
 * echoed. Where the input ends inside a frame it is completed with zero bytes; then a ping frame
 * probes the connection: it must be answered (pong) or closed with the expected code, at once. A
 * connection still waiting for its hello must then be closed with 1008 within the handshake
 * timeout. When the upgrade request itself is mutated, the fuzzer only checks that the connection
 * is answered and closed within the upgrade deadline, or upgraded and then closed with a documented
 * code.
 */
class WebSocketFuzzIT {

  /**
   * Known bug, fixed by the WebSocket work of issue 13: the broker closes framing errors with 1008
   * (before the hello) or 4003 (after it) instead of 1002. While true, those codes are counted as a
   * known bug where 1002 is due. Remove after merging that fix.
   */
  static final boolean KNOWN_BUG_WS_FRAMING_ERRORS_NOT_1002 = false;

  /**
   * Known bug, fixed by the WebSocket work of issue 13: a text frame that is not UTF-8 is not
   * closed with 1007. While true, any outcome of such a frame is counted as a known bug. Remove
   * after merging that fix.
   */
  static final boolean KNOWN_BUG_WS_INVALID_UTF8_NOT_1007 = false;

  /**
   * Found by this fuzzer after issue 13's WebSocket work, owned by no change yet: when a device's
   * close frame arrives as the connection is already closing (here: mutated input that ends it and
   * a close frame in one read), Vert.x 5.1.6 answers it through {@code
   * WebSocketConnectionImpl.finishClose} and {@code VertxConnection.writeClose} closes the channel
   * with a null promise: Netty logs a WARN with a {@code NullPointerException: promise}. The
   * connection still ends. Ordinary closes do not log it (the WebSocket ITs). While true, that WARN
   * is accepted.
   */
  static final boolean KNOWN_ISSUE_VERTX_CLOSE_NPE = true;

  private static final String VERTX_CLOSE_NPE = "VertxConnection.writeClose";

  private static final int HANDSHAKE_MS = 1000;
  private static final int MAX_FRAME_BYTES = 16_384;
  private static final long ANSWER_MS = 3000;
  private static final long SLACK_MS = 3000;

  /** Every close code the broker documents. */
  private static final Set<Integer> DOCUMENTED =
      Set.of(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4000, 4001, 4002, 4003);

  private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

  private FuzzFixture fixture;
  private WebSocketTransport ws;

  /**
   * Verifies that thousands of malformed WebSocket sessions each end with the close code RFC 6455
   * and docs/protocol.md give them, at once or within the handshake timeout, while healthy
   * WebSocket sessions beside them are never closed, and that the broker is left as it was.
   */
  @Test
  @ExpectCloses(
      value = {CloseReason.PROTOCOL_ERROR, CloseReason.TIMEOUT, CloseReason.TAKEN_OVER},
      extraLatenessMs = 2000)
  void malformedFramesCloseWithTheirCodeWhileHealthySessionsLive() throws Exception {
    // given a WebSocket transport with a 1 s handshake and four healthy devices heartbeating
    FuzzBudget budget = FuzzBudget.fromSystemProperties(1500);
    try (FuzzFixture fx = new FuzzFixture()) {
      fixture = fx;
      ws =
          new WebSocketTransport(
              fx.tables.table,
              WsOptions.fromJson(
                  new JsonObject()
                      .put("port", 0)
                      .put("handshakeTimeoutMs", HANDSHAKE_MS)
                      .put("maxFrameBytes", MAX_FRAME_BYTES)
                      .put("pingIntervalMs", -1)),
              DeviceAuth.NONE);
      fx.tables.vertx.deployVerticle(ws).await(10, TimeUnit.SECONDS);
      List<HealthyWs> healthy = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        healthy.add(new HealthyWs("healthy-ws-" + i, ws.port()));
      }
      try (HealthyFleet fleet = HealthyFleet.start(healthy, Duration.ofMillis(300))) {
        // when the fuzzer runs
        FuzzRun.Report report = FuzzRun.run("websocket", budget, 16, this::trial);

        // then every try ended as the RFC and the docs say, and the broker is as it was
        assertThat(report.findings()).as(report.text()).isEmpty();
        fleet.assertHealthy(1);
        fx.assertCleanAfterRun(
            fleet.ids(),
            null,
            healthy.size(),
            entry -> KNOWN_ISSUE_VERTX_CLOSE_NPE && entry.contains(VERTX_CLOSE_NPE));
      }
    }
  }

  // ---- the recorded sessions

  private static byte[] upgrade(String query) {
    return ("GET /devices"
            + query
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: "
            + KEY
            + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Recorded sessions of {@code device}: the upgrade request, then the client's frames. */
  static List<List<byte[]>> sessions(String device) {
    return List.of(
        List.of(
            upgrade(""),
            text("{\"type\":\"hello\",\"device\":\"" + device + "\",\"heartbeat\":2}"),
            text("{\"type\":\"ping\",\"status\":{\"battery\":87}}"),
            frame(0x80 | 0x9, utf8("hb")),
            text("{\"type\":\"data\",\"topic\":\"temp\",\"payload\":{\"t\":21.5}}"),
            frame(0x80 | 0xA, new byte[0]),
            text("{\"type\":\"bye\"}")),
        List.of(
            upgrade("?device=" + device + "&heartbeat=2"),
            text("{\"type\":\"ping\"}"),
            frame(0x1, utf8("{\"type\":\"data\",")), // a text message in two fragments
            frame(0x80, utf8("\"payload\":[1,2]}")),
            frame(0x80 | 0x9, new byte[0]),
            frame(0x80 | 0x8, new byte[] {0x03, (byte) 0xE8})), // close 1000
        List.of(
            upgrade(""),
            text("{\"type\":\"hello\",\"device\":\"" + device + "\"}"),
            text("{\"type\":\"pong\"}"),
            text("{\"type\":\"data\",\"payload\":\"x\"}")));
  }

  private static byte[] text(String json) {
    return frame(0x80 | 0x1, utf8(json));
  }

  /** A masked client frame with {@code firstByte} (FIN, RSV, opcode) and the shortest length. */
  static byte[] frame(int firstByte, byte[] payload) {
    return frame(firstByte, payload, true, lengthBytes(payload.length));
  }

  private static byte[] frame(int firstByte, byte[] payload, boolean masked, byte[] length) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(firstByte);
    length[0] = (byte) ((masked ? 0x80 : 0) | length[0] & 0x7F);
    out.writeBytes(length);
    if (masked) {
      byte[] key = {0x12, 0x34, 0x56, 0x78};
      out.writeBytes(key);
      byte[] maskedPayload = payload.clone();
      for (int i = 0; i < maskedPayload.length; i++) {
        maskedPayload[i] ^= key[i % 4];
      }
      out.writeBytes(maskedPayload);
    } else {
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  /** The payload length field (RFC 6455 §5.2), without the mask bit. */
  private static byte[] lengthBytes(long length) {
    if (length < 126) {
      return new byte[] {(byte) length};
    }
    if (length < 65536) {
      return new byte[] {126, (byte) (length >> 8), (byte) length};
    }
    byte[] bytes = new byte[9];
    bytes[0] = 127;
    for (int i = 0; i < 8; i++) {
      bytes[1 + i] = (byte) (length >> (56 - 8 * i));
    }
    return bytes;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  // ---- WebSocket's own mutations: on a decoded frame, re-encoded

  /** A client frame as sent, decoded. */
  record ClientFrame(int first, boolean masked, byte[] payload) {
    static ClientFrame of(byte[] bytes) {
      if (bytes.length < 2) {
        return null;
      }
      int length = bytes[1] & 0x7F;
      int at = 2;
      if (length == 126) {
        if (bytes.length < 4) {
          return null;
        }
        length = (bytes[2] & 0xFF) << 8 | bytes[3] & 0xFF;
        at = 4;
      } else if (length == 127) {
        return null;
      }
      boolean masked = (bytes[1] & 0x80) != 0;
      if (bytes.length < at + (masked ? 4 : 0) + length) {
        return null;
      }
      byte[] payload =
          Arrays.copyOfRange(bytes, at + (masked ? 4 : 0), at + (masked ? 4 : 0) + length);
      if (masked) {
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= bytes[at + i % 4];
        }
      }
      return new ClientFrame(bytes[0] & 0xFF, masked, payload);
    }
  }

  /** A frame changed by {@code change}: the packet must be a frame (not the upgrade request). */
  private interface FrameChange {
    byte[] apply(ClientFrame frame, Random random);
  }

  private static Mutator.Mutation onFrame(FrameChange change) {
    return (packets, random) -> {
      if (packets.size() < 2) {
        return packets;
      }
      int index = 1 + random.nextInt(packets.size() - 1);
      ClientFrame frame = ClientFrame.of(packets.get(index));
      if (frame != null) {
        packets.set(index, change.apply(frame, random));
      }
      return packets;
    };
  }

  private static Mutator mutator(String device) {
    Mutator mutator = new Mutator(sessions(device));
    return mutator
        .add("ws-rsv", 2, onFrame((f, r) -> frame(f.first | (0x10 << r.nextInt(3)), f.payload)))
        .add("ws-opcode", 3, onFrame((f, r) -> frame(f.first & 0xF0 | r.nextInt(16), f.payload)))
        .add(
            "ws-unmasked",
            2,
            onFrame((f, r) -> frame(f.first, f.payload, false, lengthBytes(f.payload.length))))
        .add("ws-length-lie", 3, onFrame(WebSocketFuzzIT::lengthLie))
        .add("ws-no-fin", 2, onFrame((f, r) -> frame(f.first & 0x7F, f.payload)))
        .add(
            "ws-big-control",
            1,
            onFrame((f, r) -> frame(0x80 | 0x9, Mutator.randomBytes(r, 126 + r.nextInt(200)))))
        .add("ws-binary", 1, onFrame((f, r) -> frame(f.first & 0xF0 | 0x2, f.payload)))
        .add(
            "ws-big-message",
            1,
            onFrame(
                (f, r) ->
                    frame(f.first, Arrays.copyOf(f.payload, MAX_FRAME_BYTES - 8 + r.nextInt(16)))))
        .add(
            "ws-close-payload",
            1,
            onFrame(
                (f, r) ->
                    frame(
                        0x80 | 0x8,
                        Mutator.randomBytes(r, r.nextBoolean() ? 1 + r.nextInt(3) : 0))))
        .add("ws-json", 6, onFrame(WebSocketFuzzIT::jsonInside));
  }

  private static byte[] lengthLie(ClientFrame frame, Random random) {
    long length =
        switch (random.nextInt(4)) {
          case 0 -> Math.max(0, frame.payload.length - 1 - random.nextInt(4));
          case 1 -> frame.payload.length + 1 + random.nextInt(64);
          case 2 -> (long) random.nextInt(1 << 20);
          default -> random.nextBoolean() ? Long.MIN_VALUE | random.nextInt(100) : 1L << 40;
        };
    byte[] form = lengthBytes(length);
    if (random.nextInt(4) == 0 && length < 126) { // a longer form than needed: allowed? (§5.2: no)
      form = new byte[] {126, (byte) (length >> 8), (byte) length};
    }
    return frame(frame.first, frame.payload, frame.masked, form);
  }

  /** The frame's JSON text mutated as the JSON wires' are (values, nesting, UTF-8). */
  private static byte[] jsonInside(ClientFrame frame, Random random) {
    Mutator json =
        JsonMutations.addTo(
            Mutator.withoutGenericMutations(),
            "",
            MAX_FRAME_BYTES,
            "hello",
            "ping",
            "data",
            "bye",
            "pong");
    List<byte[]> payload = new ArrayList<>(List.of(frame.payload));
    byte[] mutated = json.mutate(payload, random).bytes();
    return frame(frame.first, mutated, frame.masked, lengthBytes(mutated.length));
  }

  // ---- one try

  private String trial(int index, Random random) throws Exception {
    fixture.forgetEventsNowAndThen(index);
    String device = "fz-ws-" + index;
    List<List<byte[]>> sessions = sessions(device);
    List<byte[]> session = sessions.get(random.nextInt(sessions.size()));
    Mutator.Mutant mutant = mutator(device).mutate(session, random);
    boolean upgradeIntact =
        !mutant.packets().isEmpty() && Arrays.equals(mutant.packets().get(0), session.get(0));
    byte[] input = mutant.bytes();
    Model model = upgradeIntact ? Model.of(mutant.packets(), session.get(0)) : null;
    String what =
        "mutations "
            + mutant.applied()
            + ", expected "
            + (model == null ? "?" : model)
            + ", input "
            + FuzzRun.printable(input, 500);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", ws.port()), 5000);
      // RFC 6455 §4.1: a client sends frames only once the server has answered the upgrade
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      for (int i = 1; i < mutant.packets().size(); i++) {
        frames.writeBytes(mutant.packets().get(i));
      }
      if (model != null) {
        frames.writeBytes(model.completion);
        if (!model.ends()) {
          frames.writeBytes(frame(0x80 | 0x9, utf8("probe")));
        }
      }
      write(socket, mutant.packets().isEmpty() ? new byte[0] : mutant.packets().get(0));
      // the codes of the close frames sent, which the broker echoes (§5.5.1), modelled or not
      Set<Integer> closeCodesSent =
          model != null || mutant.packets().isEmpty()
              ? null
              : Model.of(mutant.packets(), mutant.packets().get(0)).clientCloseCodes;
      return new Answers(socket, model, closeCodesSent, what).judge(frames.toByteArray());
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

  /**
   * What the broker must do with an input after an intact upgrade: the code of the first thing that
   * ends the connection (0: nothing does), whether a hello opened the session by then, and the
   * bytes that complete a frame the input cut short.
   */
  static final class Model {
    int expected; // 0: nothing ends it
    boolean framing; // the end is a framing error (1002)
    final Set<Integer> clientCloseCodes = new java.util.HashSet<>(); // any close frame's code
    boolean invalidUtf8;
    boolean open;
    boolean clientClose;
    byte[] completion = new byte[0];

    boolean ends() {
      return expected != 0 || clientClose;
    }

    static Model of(List<byte[]> packets, byte[] upgrade) {
      Model model = new Model();
      model.open = new String(upgrade, StandardCharsets.UTF_8).contains("?device=");
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      for (int i = 1; i < packets.size(); i++) {
        stream.writeBytes(packets.get(i));
      }
      byte[] bytes = stream.toByteArray();
      ByteArrayOutputStream message = null;
      boolean fragmented = false; // a data message of either type is open (Netty's view, §5.4)
      int at = 0;
      // Scans on past the first end, to complete a frame the input cuts short; what follows the
      // first end is not read (the broker reads in order, the decoder's own ends too: FrameGate).
      while (at < bytes.length) {
        int remaining = bytes.length - at;
        if (remaining < 2) {
          return model.cut(bytes, at);
        }
        int first = bytes[at] & 0xFF;
        boolean masked = (bytes[at + 1] & 0x80) != 0;
        long length = bytes[at + 1] & 0x7F;
        int header = 2;
        boolean longerThanNeeded = false;
        if (length == 126 || length == 127) {
          int size = length == 126 ? 2 : 8;
          if (remaining < 2 + size) {
            return model.cut(bytes, at);
          }
          length = 0;
          for (int i = 0; i < size; i++) {
            length = length << 8 | bytes[at + 2 + i] & 0xFF;
          }
          header += size;
          longerThanNeeded = size == 2 ? length < 126 : length < 65536;
        }
        int opcode = first & 0x0F;
        boolean fin = (first & 0x80) != 0;
        boolean control = opcode >= 8;
        // RFC 6455 §5.1, §5.2, §5.5: errors the header alone shows
        if (!masked
            || (first & 0x70) != 0
            || (opcode > 2 && opcode < 8)
            || opcode > 10
            || length < 0
            || longerThanNeeded
            || (control && (!fin || length > 125))
            || (opcode == 0 && !fragmented)
            || ((opcode == 1 || opcode == 2) && fragmented)) {
          model.end(1002, true);
          break;
        }
        if (length > MAX_FRAME_BYTES) {
          model.end(1009, false);
          break;
        }
        long end = at + header + 4 + length;
        if (end > bytes.length) { // cut short: complete the frame with zeros
          model.completion = new byte[(int) (end - bytes.length)];
          byte[] whole = Arrays.copyOf(bytes, (int) end);
          model.frame(whole, at, header, (int) length, opcode, fin, message);
          return model;
        }
        message = model.frame(bytes, at, header, (int) length, opcode, fin, message);
        if (!control) {
          fragmented = !fin;
        }
        at = (int) end;
      }
      return model;
    }

    /**
     * The input stops inside a frame header, which cannot be completed without choosing what it
     * means: no probe, and only the generic expectation (an end with a documented code, by the
     * handshake or the session timeout at the latest).
     */
    private Model cut(byte[] bytes, int at) {
      expected = -1;
      completion = new byte[0];
      return this;
    }

    private ByteArrayOutputStream frame(
        byte[] bytes,
        int at,
        int header,
        int length,
        int opcode,
        boolean fin,
        ByteArrayOutputStream message) {
      byte[] payload = Arrays.copyOfRange(bytes, at + header + 4, at + header + 4 + length);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= bytes[at + header + i % 4];
      }
      if (opcode == 8) {
        int code = payload.length >= 2 ? (payload[0] & 0xFF) << 8 | payload[1] & 0xFF : 1000;
        clientCloseCodes.add(code);
        // §7.4: 1004-1006 and 1015 are never sent, 0-999 and 1016-2999 are not used: Netty's
        // decoder fails those before it checks the reason; §7.4.2 assigns nothing above 4999, which
        // the broker's FrameValidator fails after the decoder (so a reason that is not UTF-8 first)
        boolean validCode =
            payload.length != 1
                && (payload.length == 0
                    || (code >= 1000 && code <= 1003)
                    || (code >= 1007 && code <= 1014)
                    || code >= 3000);
        if (!validCode) {
          end(1002, true);
        } else if (payload.length > 2 && !utf8(Arrays.copyOfRange(payload, 2, payload.length))) {
          // Netty checks a close frame's reason as it decodes it: a decoder-level end
          invalidUtf8 |= !ends();
          end(1007, false);
        } else if (code > 4999) {
          end(1002, true);
        } else {
          close();
        }
        return message;
      }
      if (opcode == 9 || opcode == 10) {
        return message;
      }
      ByteArrayOutputStream current = message == null ? new ByteArrayOutputStream() : message;
      if (opcode == 2 || (message == null && opcode == 0)) {
        end(1003, false);
        return null;
      }
      current.writeBytes(payload);
      // Netty's Utf8FrameValidator sits in the pipeline in front of the broker: it fails a text
      // message at the first fragment that cannot be UTF-8, not at its end (RFC 6455 §8.1 allows
      // failing fast) — and before the broker's reassembly sees that fragment take the message
      // over the bound, so a fragment that does both is 1007, not 1009 (seed -5910503438864038018,
      // try 11066, twenty-sixth round).
      byte[] text = current.toByteArray();
      if (fin ? !utf8(text) : !utf8Prefix(text)) {
        invalidUtf8 |= !ends();
        end(1007, true);
        return null;
      }
      if (current.size() > MAX_FRAME_BYTES) {
        end(1009, false);
        return null;
      }
      if (!fin) {
        return current;
      }
      application(text);
      return null;
    }

    /** The device protocol on a whole text message (docs/protocol.md), as the broker reads it. */
    private void application(byte[] text) {
      if (ends()) {
        return;
      }
      try {
        JsonObject message = Frames.parse(Buffer.buffer(text));
        String type = Frames.type(message);
        if (!open) {
          if (!Frames.HELLO.equals(type)) {
            end(1008, false);
          } else {
            Frames.hello(message);
            open = true;
          }
        } else {
          switch (type) {
            case Frames.PING -> Frames.status(message);
            case Frames.DATA, Frames.PONG -> {}
            case Frames.BYE -> end(1000, false);
            default -> end(4003, false);
          }
        }
      } catch (FrameException e) {
        end(open ? 4003 : 1008, false);
      }
    }

    private void end(int code, boolean framingError) {
      if (ends()) {
        return; // what comes after the first end is not read
      }
      expected = code;
      framing = framingError;
    }

    private void close() {
      if (!ends()) {
        clientClose = true;
      }
    }

    /** Whether {@code bytes} can begin a UTF-8 text: valid, or cut inside its last character. */
    private static boolean utf8Prefix(byte[] bytes) {
      return !StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes), java.nio.CharBuffer.allocate(bytes.length + 1), false)
          .isError();
    }

    private static boolean utf8(byte[] bytes) {
      try {
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes));
        return true;
      } catch (CharacterCodingException e) {
        return false;
      }
    }

    @Override
    public String toString() {
      return (expected == 0
              ? "no end"
              : expected == -1 ? "any documented end" : "close " + expected)
          + (clientClose ? " (client close)" : "")
          + (open ? ", hello said" : ", no hello");
    }
  }

  /** What the broker sent back: the HTTP answer, then frames, until the close or the deadline. */
  private static final class Answers {
    private final Socket socket;
    private final InputStream in;
    private final Model model;
    private final Set<Integer> closeCodesSent;
    private final String what;
    private final List<String> seen = new ArrayList<>();
    private long deadline;

    Answers(Socket socket, Model model, Set<Integer> closeCodesSent, String what)
        throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.model = model;
      this.closeCodesSent = model != null ? model.clientCloseCodes : closeCodesSent;
      this.what = what;
    }

    /**
     * Reads the answer to the upgrade request; once upgraded, sends {@code frames} and reads on.
     */
    String judge(byte[] frames) throws IOException {
      deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANDSHAKE_MS + SLACK_MS);
      String status;
      try {
        status = httpStatus();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no HTTP answer, no close within the upgrade deadline; " + what);
      } catch (IOException e) {
        return "closed before an HTTP answer";
      }
      if (status == null) {
        return "closed before an HTTP answer";
      }
      if (!status.startsWith("HTTP/1.1 101")) {
        if (model != null) {
          throw new AssertionError("an intact upgrade got " + status + "; " + what);
        }
        String[] parts = status.split(" ");
        return untilClosed("HTTP " + (parts.length > 1 ? parts[1] : "?"));
      }
      // Unprobed (an unmodelled input): the handshake timeout, or a session's timeout (at most
      // 3 s), must end it; probed: the answer or the close is due at once.
      deadline =
          System.nanoTime()
              + TimeUnit.MILLISECONDS.toNanos(
                  model == null || model.expected == -1
                      ? HANDSHAKE_MS + 3000 + SLACK_MS
                      : ANSWER_MS);
      write(socket, frames);
      return frames();
    }

    private String httpStatus() throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = read();
        if (b < 0) {
          return head.length() == 0 ? null : head.toString().split("\r\n")[0];
        }
        head.append((char) b);
      }
      return head.toString().split("\r\n")[0];
    }

    private String untilClosed(String outcome) throws IOException {
      try {
        while (read() >= 0) {
          // the error page, then the close
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError(outcome + " and no close within the upgrade deadline; " + what);
      } catch (IOException e) {
        // reset: closed
      }
      return outcome + ", closed";
    }

    private String frames() throws IOException {
      while (true) {
        int first;
        try {
          first = read();
        } catch (SocketTimeoutException e) {
          return quiet();
        } catch (IOException e) {
          return ended(-1);
        }
        if (first < 0) {
          return ended(-1);
        }
        int length = read() & 0x7F;
        if (length >= 126) {
          int size = length == 126 ? 2 : 8;
          length = 0;
          for (int i = 0; i < size; i++) {
            length = length << 8 | read();
          }
        }
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
          payload[i] = (byte) read();
        }
        int opcode = first & 0x0F;
        seen.add(opcode == 1 ? new String(payload, StandardCharsets.UTF_8) : "op" + opcode);
        if (opcode == 8) {
          int code = payload.length >= 2 ? (payload[0] & 0xFF) << 8 | payload[1] & 0xFF : 1005;
          write(socket, frame(0x88, Arrays.copyOf(payload, Math.min(2, payload.length))));
          return ended(code);
        }
        if (opcode == 10 && new String(payload, StandardCharsets.UTF_8).equals("probe")) {
          return probeAnswered();
        }
      }
    }

    /** The probe was answered: the connection is alive; it must be, and a hello-less one ends. */
    private String probeAnswered() throws IOException {
      if (model != null && model.invalidUtf8 && KNOWN_BUG_WS_INVALID_UTF8_NOT_1007) {
        return FuzzRun.KNOWN_BUG + "invalid UTF-8 not closed with 1007 (still open)";
      }
      if (model != null && model.expected > 0) {
        throw new AssertionError(
            "alive after what must close it with " + model.expected + ": " + seen + "; " + what);
      }
      if (model != null && !model.open) {
        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANDSHAKE_MS + SLACK_MS);
        String outcome = frames();
        return outcome.startsWith("closed 1008") ? "no hello: handshake timeout, 1008" : outcome;
      }
      return "session answered the probe";
    }

    /** Nothing within the deadline. */
    private String quiet() {
      if (model != null && model.invalidUtf8 && KNOWN_BUG_WS_INVALID_UTF8_NOT_1007) {
        return FuzzRun.KNOWN_BUG + "invalid UTF-8 not closed with 1007 (still open)";
      }
      if (model != null && model.clientClose) {
        throw new AssertionError("the device's close frame was not answered; " + what);
      }
      throw new AssertionError(
          "left hanging: not closed, probe not answered within the deadline, frames "
              + seen
              + "; "
              + what);
    }

    /** The connection ended with close code {@code code} (-1: no close frame). */
    private String ended(int code) {
      String outcome = "closed " + (code < 0 ? "without a close frame" : code);
      // the broker echoes a close frame's code (§5.5.1), whatever the device chose
      boolean echo = closeCodesSent != null && closeCodesSent.contains(code);
      if (code >= 0
          && !DOCUMENTED.contains(code)
          && !echo
          && !(model != null && model.clientClose)) {
        throw new AssertionError("an undocumented close code " + code + ": " + seen + "; " + what);
      }
      if (model == null || model.expected == -1) {
        return outcome + " (unmodelled input)";
      }
      if (model.invalidUtf8 && KNOWN_BUG_WS_INVALID_UTF8_NOT_1007 && code != 1007) {
        return FuzzRun.KNOWN_BUG + "invalid UTF-8 not closed with 1007 (" + outcome + ")";
      }
      if (model.framing
          && code != 1002
          && KNOWN_BUG_WS_FRAMING_ERRORS_NOT_1002
          && (code == 1008 || code == 4003)) {
        return FuzzRun.KNOWN_BUG + "framing error closed with " + code + ", not 1002";
      }
      if (model.clientClose) {
        return "the device closed; echoed " + code;
      }
      if (model.expected == 0 && !model.open && code == 1008) {
        return "no hello: handshake timeout, 1008";
      }
      if (model.expected == 0 && model.open && (code == 4000 || code == 4001)) {
        // the session timed out (a hello may ask for a heartbeat of 0.1 s), or a try whose input
        // came out with this try's device id took it over
        return outcome + " (session ended by the broker)";
      }
      if (code != model.expected) {
        throw new AssertionError(
            outcome + ", but " + model.expected + " is due: " + seen + "; " + what);
      }
      return outcome;
    }

    private int read() throws IOException {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException();
      }
      socket.setSoTimeout((int) left);
      return in.read();
    }
  }

  /**
   * A healthy device on the JDK's WebSocket client: a ping frame every beat, answered by a pong.
   */
  private static final class HealthyWs implements HealthyFleet.Device, WebSocket.Listener {
    private final String id;
    private final WebSocket socket;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    HealthyWs(String id, int port) throws Exception {
      this.id = id;
      this.socket =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + port + "/devices?device=" + id + "&heartbeat=2"),
                  this)
              .get(10, TimeUnit.SECONDS);
      String welcome = received.poll(10, TimeUnit.SECONDS);
      if (welcome == null || !welcome.contains("\"welcome\"")) {
        throw new IllegalStateException("healthy device not welcomed: " + welcome);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        received.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      received.add("closed " + statusCode + " " + reason);
      return null;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void beat() throws Exception {
      socket.sendText("{\"type\":\"ping\"}", true).get(10, TimeUnit.SECONDS);
      String answer = received.poll(10, TimeUnit.SECONDS);
      if (!"{\"type\":\"pong\"}".equals(answer)) {
        throw new AssertionError("expected a pong, got " + answer);
      }
    }

    @Override
    public void close() {
      socket.abort();
    }
  }
}

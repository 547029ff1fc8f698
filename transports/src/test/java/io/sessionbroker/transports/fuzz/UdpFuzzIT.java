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
import io.sessionbroker.transports.udp.UdpOptions;
import io.sessionbroker.transports.udp.UdpTransport;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the UDP wire (docs/protocol.md "UDP transport") with mutants of recorded valid sessions,
 * from sources of their own, while healthy UDP devices heartbeat beside them.
 *
 * <p>Two kinds of try. A <em>spoofed</em> try sends datagrams that carry no valid ticket (a forger
 * who cannot read the answers): the broker may answer only a hello at least as long as its welcome,
 * with that welcome, so the source never gets back more bytes than it sent, and never a {@code
 * pong} or an {@code error} (docs/protocol.md "Hellos are padded: no amplification"). A
 * <em>ticketed</em> try first says a valid hello and then sends mutants of a session that carry the
 * real ticket: the answers may then be {@code pong}s and {@code error}s with a documented code.
 * Every datagram the broker sends must be a JSON object of a documented type.
 *
 * <p>UDP has no end of input, so each try ends with a marker: a valid hello of a device of its own
 * from the same source. The listener has one socket (one event loop), which handles a source's
 * datagrams in order and sends its answers in that order, so once the marker's welcome is in, every
 * answer to the try's datagrams is in too. After the run: no healthy session was closed, the
 * sessions and UDP peers are back to the healthy ones, the heap is bounded, nothing threw or was
 * logged.
 */
class UdpFuzzIT {

  private static final int MAX_DATAGRAM_BYTES = 1024;
  private static final String PAD = "x".repeat(160);
  private static final String FAKE_TICKET = "AAAAAAAAAAAAAAAAAAAAAA";

  private static final Set<String> ERROR_CODES = Set.of("protocol_error", "bad_frame");
  private static final Set<String> BYE_REASONS = Set.of("TIMEOUT", "TAKEN_OVER", "KICKED");

  /** Recorded datagrams of a valid session; {@code DEV} and {@code TICKET} are filled per try. */
  private static final List<List<String>> SESSIONS =
      List.of(
          List.of(
              "{\"type\":\"hello\",\"device\":\"DEV\",\"nonce\":\"n1\",\"heartbeat\":1,\"pad\":\""
                  + PAD
                  + "\"}",
              "{\"type\":\"ping\",\"device\":\"DEV\",\"ticket\":\"TICKET\"}",
              "{\"type\":\"ping\",\"device\":\"DEV\",\"ticket\":\"TICKET\",\"status\":{\"battery\":87}}",
              "{\"type\":\"data\",\"device\":\"DEV\",\"ticket\":\"TICKET\",\"payload\":{\"temp\":21.5}}",
              "{\"type\":\"bye\",\"device\":\"DEV\",\"ticket\":\"TICKET\"}"),
          List.of(
              "{\"type\":\"hello\",\"device\":\"DEV\",\"pad\":\"" + PAD + "\"}",
              "{\"type\":\"ping\",\"device\":\"DEV\",\"ticket\":\"TICKET\",\"status\":{}}",
              "{\"type\":\"status\",\"device\":\"DEV\",\"ticket\":\"TICKET\"}"),
          List.of(
              "{\"type\":\"hello\",\"device\":\"DEV\",\"nonce\":\"boot-1\",\"heartbeat\":0.5,"
                  + "\"token\":\"t\",\"pad\":\""
                  + PAD
                  + "\"}",
              "{\"type\":\"data\",\"device\":\"DEV\",\"ticket\":\"TICKET\",\"payload\":[1,\"a\",null]}"));

  private FuzzFixture fixture;
  private UdpTransport udp;
  private final AtomicLong spoofedIn = new AtomicLong();
  private final AtomicLong spoofedOut = new AtomicLong();
  private final AtomicLong byesToSpoofed = new AtomicLong();

  /**
   * Verifies that thousands of malformed datagrams, spoofed and ticketed, are answered only as
   * docs/protocol.md allows — never with more bytes than a spoofed source sent — while healthy UDP
   * sessions beside them are never closed, and that the broker is left as it was.
   */
  @Test
  @ExpectCloses(
      value = {CloseReason.TIMEOUT, CloseReason.TAKEN_OVER},
      extraLatenessMs = 2000)
  void malformedDatagramsAreNeverAmplifiedWhileHealthySessionsLive() throws Exception {
    // given a UDP transport on one socket and four healthy devices heartbeating
    FuzzBudget budget = FuzzBudget.fromSystemProperties(3000);
    try (FuzzFixture fx = new FuzzFixture()) {
      fixture = fx;
      udp =
          new UdpTransport(
              fx.tables.table,
              UdpOptions.fromJson(
                  new JsonObject()
                      .put("port", 0)
                      .put("eventLoops", 1)
                      .put("maxDatagramBytes", MAX_DATAGRAM_BYTES)),
              DeviceAuth.NONE);
      int port = udp.start(fx.tables.vertx).await(10, TimeUnit.SECONDS);
      List<HealthyUdp> healthy = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        healthy.add(new HealthyUdp("healthy-udp-" + i, port));
      }
      try (HealthyFleet fleet = HealthyFleet.start(healthy, Duration.ofMillis(300))) {
        // when the fuzzer runs
        FuzzRun.Report report = FuzzRun.run("udp", budget, 16, this::trial);

        // then no try was answered beyond the rules, and the broker is as it was
        assertThat(report.findings()).as(report.text()).isEmpty();
        System.out.printf(
            "udp: spoofed sources sent %d bytes, were answered %d bytes, and got %d byes%n",
            spoofedIn.get(), spoofedOut.get(), byesToSpoofed.get());
        assertThat(spoofedOut.get())
            .as("bytes answered to spoofed sources, against the bytes they sent")
            .isLessThanOrEqualTo(spoofedIn.get());
        fleet.assertHealthy(1);
        fx.assertCleanAfterRun(fleet.ids(), udp::sessions, healthy.size(), entry -> false);
      } finally {
        udp.stop().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The mutator of one try: its splice donors are the recorded sessions with the try's own device
   * and ticket, so that a spliced datagram never speaks for another try's device.
   */
  private static Mutator mutator(String device, String ticket) {
    List<List<byte[]>> corpus = new ArrayList<>();
    for (List<String> session : SESSIONS) {
      corpus.add(datagrams(session, device, ticket));
    }
    Mutator mutator = new Mutator(corpus);
    JsonMutations.addTo(mutator, "", MAX_DATAGRAM_BYTES, "hello", "ping", "data", "bye", "pong");
    return mutator.add("oversized", 1, UdpFuzzIT::oversized);
  }

  private static List<byte[]> datagrams(List<String> session, String device, String ticket) {
    List<byte[]> datagrams = new ArrayList<>();
    for (String datagram : session) {
      datagrams.add(
          datagram
              .replace("DEV", device)
              .replace("TICKET", ticket)
              .getBytes(StandardCharsets.UTF_8));
    }
    return datagrams;
  }

  /** A datagram around the size limit. */
  private static List<byte[]> oversized(List<byte[]> packets, Random random) {
    int index = Mutator.somePacket(packets, random);
    if (index >= 0) {
      byte[] datagram = packets.get(index);
      byte[] grown = Arrays.copyOf(datagram, MAX_DATAGRAM_BYTES - 4 + random.nextInt(8));
      if (grown.length > datagram.length) {
        Arrays.fill(grown, datagram.length, grown.length, (byte) ' ');
      }
      packets.set(index, grown);
    }
    return packets;
  }

  private String trial(int index, Random random) throws Exception {
    fixture.forgetEventsNowAndThen(index);
    boolean ticketed = random.nextInt(3) == 0;
    List<String> session = SESSIONS.get(random.nextInt(SESSIONS.size()));
    try (Source source = new Source(udp.port())) {
      String device = "fz-udp-" + index;
      String ticket = FAKE_TICKET;
      if (ticketed) {
        JsonObject welcome = source.hello(device, "t-" + index);
        ticket = welcome.getString("ticket");
        session = session.subList(1, session.size()); // the hello is said
      }
      Mutator.Mutant mutant =
          mutator(device, ticket).mutate(datagrams(session, device, ticket), random);
      String what = "mutations " + mutant.applied() + (ticketed ? " after a valid hello" : "");
      int sent = 0;
      int largest = 0;
      for (byte[] datagram : mutant.packets()) {
        source.send(datagram);
        sent += datagram.length;
        largest = Math.max(largest, datagram.length);
        what += "\n  > " + FuzzRun.printable(datagram, 300);
      }
      // the marker: everything answered before its welcome has arrived
      List<JsonObject> answers = source.untilWelcome("fz-udp-marker-" + index, "m-" + index, what);
      if (ticketed) {
        source.bye(device, ticket);
        return judgeTicketed(answers, what);
      }
      return judgeSpoofed(answers, sent, largest, what);
    }
  }

  private String judgeSpoofed(List<JsonObject> answers, int sent, int largest, String what) {
    int answered = 0;
    String outcome = answers.isEmpty() ? "spoofed: no answer" : "spoofed: welcomed";
    for (JsonObject answer : answers) {
      int length = answer.encode().getBytes(StandardCharsets.UTF_8).length;
      if ("bye".equals(answer.getString("type"))
          && BYE_REASONS.contains(answer.getString("reason"))) {
        // Not an answer: the end of a session a hello of this try opened, taken over by a later
        // one.
        byesToSpoofed.incrementAndGet();
        outcome = "spoofed: welcomed, then bye " + answer.getString("reason");
        continue;
      }
      answered += length;
      if (!"welcome".equals(answer.getString("type"))) {
        throw new AssertionError("a source without a ticket got " + answer + "; " + what);
      }
      if (length > largest) {
        throw new AssertionError(
            "a welcome of " + length + " bytes to datagrams of at most " + largest + "; " + what);
      }
    }
    if (answered > sent) {
      throw new AssertionError(
          "answered " + answered + " bytes to a spoofed source that sent " + sent + "; " + what);
    }
    spoofedIn.addAndGet(sent);
    spoofedOut.addAndGet(answered);
    return outcome;
  }

  private String judgeTicketed(List<JsonObject> answers, String what) {
    String outcome = "ticketed: no answer";
    for (JsonObject answer : answers) {
      switch (String.valueOf(answer.getValue("type"))) {
        case "pong" -> outcome = "ticketed: pong";
        case "welcome" -> outcome = "ticketed: welcomed again";
        case "bye" -> outcome = "ticketed: bye " + answer.getString("reason");
        case "error" -> {
          if (!ERROR_CODES.contains(answer.getString("code"))) {
            throw new AssertionError("an undocumented error code: " + answer + "; " + what);
          }
          outcome = "ticketed: error " + answer.getString("code");
        }
        default -> throw new AssertionError("an undocumented datagram: " + answer + "; " + what);
      }
    }
    return outcome;
  }

  /** One source address: a socket of its own, talking only to the broker. */
  private static final class Source implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress broker;

    Source(int port) throws IOException {
      socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
      broker = new InetSocketAddress("127.0.0.1", port);
      socket.connect(broker);
    }

    void send(byte[] datagram) throws IOException {
      socket.send(new DatagramPacket(datagram, datagram.length, broker));
    }

    JsonObject hello(String device, String nonce) throws IOException {
      List<JsonObject> answers =
          untilWelcomeOf(helloBytes(device, nonce), nonce, "hello of " + device);
      return answers.get(answers.size() - 1);
    }

    void bye(String device, String ticket) throws IOException {
      send(
          new JsonObject()
              .put("type", "bye")
              .put("device", device)
              .put("ticket", ticket)
              .encode()
              .getBytes(StandardCharsets.UTF_8));
    }

    /** Says the marker's hello; returns every datagram before its welcome, and ends its session. */
    List<JsonObject> untilWelcome(String device, String nonce, String what) throws IOException {
      List<JsonObject> answers = untilWelcomeOf(helloBytes(device, nonce), nonce, what);
      JsonObject welcome = answers.remove(answers.size() - 1);
      bye(device, welcome.getString("ticket"));
      return answers;
    }

    /**
     * Says {@code hello} and returns every datagram up to and including the welcome that echoes
     * {@code nonce}. The hello is repeated every second until then (a repeated hello is answered
     * with the same welcome): under a flood, the kernel may drop a datagram on loopback too.
     */
    private List<JsonObject> untilWelcomeOf(byte[] hello, String nonce, String what)
        throws IOException {
      List<JsonObject> answers = new ArrayList<>();
      byte[] buffer = new byte[65536];
      socket.setSoTimeout(1_000);
      for (int attempt = 0; ; ) {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        if (attempt == 0) {
          send(hello);
          attempt++;
        }
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          if (attempt++ == 15) {
            throw new AssertionError(
                "no welcome for a valid hello within 15 s; got " + answers + "; " + what);
          }
          send(hello);
          continue;
        }
        String text = new String(buffer, 0, packet.getLength(), StandardCharsets.UTF_8);
        JsonObject answer;
        try {
          answer = new JsonObject(text);
        } catch (DecodeException e) {
          throw new AssertionError("the broker sent a datagram that is not JSON: " + text);
        }
        answers.add(answer);
        if ("welcome".equals(answer.getString("type")) && nonce.equals(answer.getString("nonce"))) {
          return answers;
        }
      }
    }

    private static byte[] helloBytes(String device, String nonce) {
      return new JsonObject()
          .put("type", "hello")
          .put("device", device)
          .put("nonce", nonce)
          .put("heartbeat", 2)
          .put("pad", PAD)
          .encode()
          .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  /** A healthy device: a ping with its ticket every beat, answered by a pong. */
  private static final class HealthyUdp implements HealthyFleet.Device {
    private final String id;
    private final Source source;
    private final byte[] ping;

    HealthyUdp(String id, int port) throws IOException {
      this.id = id;
      this.source = new Source(port);
      String ticket = source.hello(id, "h").getString("ticket");
      this.ping =
          new JsonObject()
              .put("type", "ping")
              .put("device", id)
              .put("ticket", ticket)
              .encode()
              .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void beat() throws Exception {
      // A ping or its pong may be dropped by a flooded socket buffer: a lost datagram is UDP's, not
      // the broker's fault, so a beat tries five times; the session's timeout (3 s) outlasts them.
      byte[] buffer = new byte[2048];
      source.socket.setSoTimeout(500);
      for (int attempt = 1; ; attempt++) {
        source.send(ping);
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          source.socket.receive(packet);
        } catch (SocketTimeoutException e) {
          if (attempt == 5) {
            throw new AssertionError("no pong to 5 pings");
          }
          continue;
        }
        String answer = new String(buffer, 0, packet.getLength(), StandardCharsets.UTF_8);
        if (!answer.equals("{\"type\":\"pong\"}")) {
          throw new AssertionError("expected a pong, got " + answer);
        }
        return;
      }
    }

    @Override
    public void close() {
      source.close();
    }
  }
}

package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Flapping;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionEvents;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.cluster.TableOptions;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.limits.ConnectLimits;
import io.sessionbroker.transports.limits.LimitsOptions;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Verifies how {@link UdpProtocol} maps datagrams to {@code touch} and {@code close}, and a table
 * close to a {@code bye}, without sockets: datagrams are handed to it directly, what it sends goes
 * to a recording {@link Outlet}, and the table runs on a clock the test sets, on the test's thread.
 * The same paths over real sockets are in the {@code Udp*IT}s; these are fast enough to run once
 * per mutant.
 */
class UdpProtocolTest {

  private static final String HOST = "127.0.0.1";
  private static final String IPV6 = "0:0:0:0:0:0:0:1";
  private static final int PORT = 40_000;
  private static final TableOptions OPTIONS = TableFixture.FAST;

  /** A datagram the protocol sent: through {@code send} or {@code post}, to where. */
  private record Sent(JsonObject frame, String host, int port) {}

  private long now = 1_700_000_000_003L;
  private final List<Sent> sent = new ArrayList<>();
  private final List<String> events = new ArrayList<>();
  private final Outlet outlet =
      new Outlet() {
        @Override
        public void send(Buffer datagram, String host, int port) {
          sent.add(new Sent(datagram.toJsonObject(), host, port));
        }

        @Override
        public void post(Buffer datagram, String host, int port) {
          send(datagram, host, port);
        }

        @Override
        public void pong(InetSocketAddress to) {
          pongsWithoutDecoding++;
          send(Frames.pong(), to.getAddress().getHostAddress(), to.getPort());
        }
      };

  /** Pongs the protocol sent through {@link Outlet#pong}: heartbeats it answered unparsed. */
  private int pongsWithoutDecoding;

  private final SessionEvents recording =
      new SessionEvents() {
        @Override
        public void opened(Session session, long at) {
          events.add("opened " + session.deviceId());
        }

        @Override
        public void closed(Session session, CloseReason reason, long at) {
          events.add("closed " + session.deviceId() + " " + reason);
        }

        @Override
        public void rejected(Rejection rejection, long at) {
          events.add("rejected " + rejection.deviceId() + " " + rejection.code());
        }

        @Override
        public void inbound(Session session, String topic, Object payload, long at) {
          events.add("inbound " + session.deviceId() + " " + payload);
        }
      };
  private final SessionTable table =
      SessionTable.builder(OPTIONS, () -> now, "node-a")
          .events(recording)
          .executor(Runnable::run)
          .build();
  private final UdpStats stats = new UdpStats();
  private final UdpProtocol protocol =
      new UdpProtocol(table, UdpOptions.defaults(), DeviceAuth.NONE, stats);

  /** Opens a session for {@code deviceId} from the default source; returns its ticket. */
  private String open(String deviceId) {
    protocol.outlet(outlet);
    JsonObject hello =
        UdpDevice.padded(
            UdpDevice.hello(deviceId, UUID.randomUUID().toString(), 1), UdpDevice.HELLO_BYTES);
    receive(hello, PORT);
    JsonObject welcome = sent.remove(sent.size() - 1).frame();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    return welcome.getString("ticket");
  }

  private void receive(JsonObject frame, int port) {
    receive(protocol, frame.toBuffer(), HOST, port);
  }

  /** Hands the datagram to the protocol as a socket does: its bytes as Netty read them. */
  private void receive(UdpProtocol to, Buffer datagram, String host, int port) {
    to.receive(
        outlet, Unpooled.wrappedBuffer(datagram.getBytes()), new InetSocketAddress(host, port));
  }

  /** Opens a session for {@code deviceId} from an IPv6 source; returns its ticket. */
  private String openFromIpv6(String deviceId) {
    protocol.outlet(outlet);
    JsonObject hello =
        UdpDevice.padded(
            UdpDevice.hello(deviceId, UUID.randomUUID().toString(), 1), UdpDevice.HELLO_BYTES);
    receive(protocol, hello.toBuffer(), IPV6, PORT);
    JsonObject welcome = sent.remove(sent.size() - 1).frame();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    return welcome.getString("ticket");
  }

  private static JsonObject frame(String type, String deviceId, String ticket) {
    return new JsonObject().put("type", type).put("device", deviceId).put("ticket", ticket);
  }

  private Session session(String deviceId) {
    return table.sessions().result().stream()
        .filter(s -> s.deviceId().equals(deviceId))
        .findFirst()
        .orElse(null);
  }

  /**
   * Verifies that a hello over the connect rate of its source address is dropped before its token
   * is checked: no welcome, a rejection with code {@code rate_limited}, counted.
   */
  @Test
  void aHelloOverTheAddressRateIsDroppedAndCounted() {
    // given one hello per second per address
    UdpProtocol limited =
        new UdpProtocol(
            table,
            UdpOptions.defaults(),
            DeviceAuth.NONE,
            stats,
            new ConnectLimits(new LimitsOptions(0, 1, 0, 0, 1, 1), System.nanoTime()));
    limited.outlet(outlet);

    // when two devices behind one address say hello at once
    for (String device : List.of("udp-rate-1", "udp-rate-2")) {
      receive(
          limited,
          UdpDevice.padded(
                  UdpDevice.hello(device, UUID.randomUUID().toString(), 1), UdpDevice.HELLO_BYTES)
              .toBuffer(),
          HOST,
          PORT);
    }

    // then the first is welcome, the second is dropped and reported
    assertThat(sent).extracting(d -> d.frame().getString("type")).containsExactly("welcome");
    assertThat(events).contains("opened udp-rate-1", "rejected udp-rate-2 rate_limited");
    assertThat(stats.dropped(UdpStats.Drop.RATE_LIMITED)).isEqualTo(1);
  }

  /**
   * Verifies that the hello of a device banned for flapping is answered with an {@code error} of
   * code {@code flapping} and reported, and opens nothing.
   */
  @Test
  void aBannedDevicesHelloIsAnsweredWithAFlappingError() {
    // given a table that bans after more than one disconnect
    SessionTable banning =
        SessionTable.builder(OPTIONS, () -> now, "node-b")
            .events(recording)
            .executor(Runnable::run)
            .flapping(new Flapping(1, 60_000, 300_000))
            .build();
    UdpProtocol protocol = new UdpProtocol(banning, UdpOptions.defaults(), DeviceAuth.NONE, stats);
    protocol.outlet(outlet);
    for (int i = 0; i < 2; i++) {
      receive(protocol, hello("udp-flap-1").toBuffer(), HOST, PORT);
      JsonObject welcome = sent.remove(sent.size() - 1).frame();
      receive(
          protocol, frame("bye", "udp-flap-1", welcome.getString("ticket")).toBuffer(), HOST, PORT);
    }
    sent.clear();

    // when it says hello again
    receive(protocol, hello("udp-flap-1").toBuffer(), HOST, PORT);

    // then
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).frame().getString("type")).isEqualTo("error");
    assertThat(sent.get(0).frame().getString("code")).isEqualTo("flapping");
    assertThat(events).endsWith("rejected udp-flap-1 flapping");
    assertThat(stats.dropped(UdpStats.Drop.FLAPPING)).isEqualTo(1);
  }

  private static JsonObject hello(String deviceId) {
    return UdpDevice.padded(
        UdpDevice.hello(deviceId, UUID.randomUUID().toString(), 1), UdpDevice.HELLO_BYTES);
  }

  /** Verifies that a ping without a status is proof of life, answered with a pong to its source. */
  @Test
  void aPingWithoutStatusTouchesTheSessionAndIsAnsweredWithAPong() {
    // given
    String ticket = open("udp-unit-ping");
    now += 1_000;

    // when
    receive(frame("ping", "udp-unit-ping", ticket), PORT);

    // then
    assertThat(session("udp-unit-ping").lastSeenAt()).isEqualTo(now);
    assertThat(sent).containsExactly(new Sent(new JsonObject().put("type", "pong"), HOST, PORT));
    assertThat(stats.get(Counter.PING)).isOne();
    assertThat(stats.get(Counter.RECEIVED)).isEqualTo(2); // the hello and the ping
    assertThat(stats.get(Counter.REBOUND))
        .as("a ping from the session's own address moves nothing")
        .isZero();
  }

  /**
   * Verifies that a plain heartbeat is answered on the short way (no JSON tree, {@link
   * Outlet#pong}), and that a ping that needs more — a status to keep, a new address to follow, a
   * wrong ticket — takes the general way and gets what it got before (issue 17).
   */
  @Test
  void onlyAPlainPingFromTheSessionsAddressTakesTheShortWay() {
    // given
    String ticket = open("udp-unit-short");
    String wrong = open("udp-unit-short-2");

    // when
    receive(frame("ping", "udp-unit-short", ticket), PORT);
    int plain = pongsWithoutDecoding;
    receive(frame("ping", "udp-unit-short", ticket).put("status", new JsonObject()), PORT);
    receive(frame("ping", "udp-unit-short", ticket), PORT + 1);
    receive(frame("ping", "udp-unit-short", wrong), PORT + 1);

    // then
    assertThat(plain).isOne();
    assertThat(pongsWithoutDecoding).as("only the plain ping").isOne();
    assertThat(sent)
        .extracting(d -> d.frame().getString("type"))
        .containsExactly("pong", "pong", "pong");
    assertThat(stats.get(Counter.PING)).isEqualTo(3);
    assertThat(stats.get(Counter.REBOUND)).isOne();
    assertThat(stats.dropped(UdpStats.Drop.BAD_TICKET)).isOne();
    assertThat(stats.get(Counter.RECEIVED)).isEqualTo(6); // 2 hellos, 4 pings, each counted once
    assertThat(session("udp-unit-short").status()).isNotNull();
  }

  /** Verifies that a ping with a status is proof of life and its status is kept. */
  @Test
  void aPingWithStatusTouchesTheSessionAndKeepsTheStatus() {
    // given
    String ticket = open("udp-unit-status");
    now += 1_000;
    JsonObject status = new JsonObject().put("battery", 80);

    // when
    receive(frame("ping", "udp-unit-status", ticket).put("status", status), PORT);

    // then
    Session session = session("udp-unit-status");
    assertThat(session.lastSeenAt()).isEqualTo(now);
    assertThat(session.status()).isEqualTo(status);
    assertThat(sent).extracting(s -> s.frame().getString("type")).containsExactly("pong");
  }

  /**
   * Verifies that a ping whose status is not an object is answered with an error and proves
   * nothing.
   */
  @Test
  void aPingWithABadStatusIsAnErrorAndNoProofOfLife() {
    // given
    String ticket = open("udp-unit-badstatus");
    long openedAt = now;
    now += 1_000;

    // when
    receive(frame("ping", "udp-unit-badstatus", ticket).put("status", "full"), PORT);

    // then
    assertThat(session("udp-unit-badstatus").lastSeenAt()).isEqualTo(openedAt);
    assertThat(sent)
        .singleElement()
        .satisfies(s -> assertThat(s.frame().getString("code")).isEqualTo("protocol_error"));
    assertThat(stats.get(Counter.ERROR_SENT)).isOne();
    assertThat(stats.get(Counter.PING)).isZero();
  }

  /** Verifies that data is proof of life and is published, unanswered. */
  @Test
  void dataTouchesTheSessionAndIsPublishedUnanswered() {
    // given
    String ticket = open("udp-unit-data");
    now += 1_000;

    // when
    receive(frame("data", "udp-unit-data", ticket).put("payload", 42), PORT);

    // then
    assertThat(session("udp-unit-data").lastSeenAt()).isEqualTo(now);
    assertThat(events).contains("inbound udp-unit-data 42");
    assertThat(sent).isEmpty();
    assertThat(stats.get(Counter.DATA)).isOne();
  }

  /**
   * Verifies that a bye ends the session with CLIENT_CLOSED, sends nothing back and forgets the
   * peer.
   */
  @Test
  void aByeClosesWithClientClosedAndSendsNothingBack() {
    // given
    String ticket = open("udp-unit-bye");
    assertThat(protocol.sessions()).isOne();

    // when
    receive(frame("bye", "udp-unit-bye", ticket), PORT);

    // then
    assertThat(events).endsWith("closed udp-unit-bye CLIENT_CLOSED");
    assertThat(sent).isEmpty();
    assertThat(protocol.sessions()).isZero();
    assertThat(stats.get(Counter.BYE_RECEIVED)).isOne();
  }

  /**
   * Verifies that a session the broker ends gets a bye with the reason and session, at its last
   * address.
   */
  @Test
  void aSessionTheBrokerEndsGetsAByeWithReasonAndSession() {
    // given
    String ticket = open("udp-unit-kick");
    String sessionId = session("udp-unit-kick").sessionId();
    receive(frame("ping", "udp-unit-kick", ticket), PORT + 1); // the device moved
    sent.clear();

    // when
    table.admin().kick("udp-unit-kick");

    // then
    assertThat(sent)
        .containsExactly(
            new Sent(
                new JsonObject()
                    .put("type", "bye")
                    .put("reason", "KICKED")
                    .put("session", sessionId),
                HOST,
                PORT + 1));
    assertThat(protocol.sessions()).isZero();
    assertThat(stats.get(Counter.BYE_SENT)).isOne();
    assertThat(stats.get(Counter.REBOUND)).isOne();
  }

  /**
   * Verifies that a ticket is no good once its session has ended: a later ping is dropped
   * unanswered.
   */
  @Test
  void aTicketOfAnEndedSessionAdmitsNothing() {
    // given
    String ticket = open("udp-unit-ended");
    table.admin().kick("udp-unit-ended");
    sent.clear();

    // when
    receive(frame("ping", "udp-unit-ended", ticket), PORT);

    // then
    assertThat(sent).isEmpty();
    assertThat(events).last().isEqualTo("rejected udp-unit-ended bad_ticket");
  }

  /**
   * Verifies that once the sockets are gone (no outlet), an ending session sends nothing but is
   * forgotten.
   */
  @Test
  void withoutAnOutletAnEndingSessionIsForgottenSilently() {
    // given
    open("udp-unit-nooutlet");
    protocol.outlet(null);

    // when
    table.shutdown();

    // then
    assertThat(sent).isEmpty();
    assertThat(protocol.sessions()).isZero();
    assertThat(events).endsWith("closed udp-unit-nooutlet SHUTDOWN");
  }

  /** Verifies that a wrong ticket neither touches the session nor gets an answer. */
  @Test
  void aWrongTicketIsDroppedUnansweredAndProvesNothing() {
    // given
    open("udp-unit-wrong");
    long openedAt = now;
    now += 1_000;

    // when
    receive(frame("ping", "udp-unit-wrong", "A".repeat(22)), PORT);
    receive(frame("bye", "udp-unit-wrong", null), PORT);

    // then
    assertThat(sent).isEmpty();
    assertThat(session("udp-unit-wrong").lastSeenAt()).isEqualTo(openedAt);
    assertThat(session("udp-unit-wrong").isOpen()).isTrue();
  }

  /** Verifies that an unknown type with a valid ticket gets an error; without one, silence. */
  @Test
  void anUnknownTypeGetsAnErrorOnlyWithAValidTicket() {
    // given
    String ticket = open("udp-unit-unknown");

    // when
    receive(frame("reboot", "udp-unit-unknown", "A".repeat(22)), PORT);
    int afterWrongTicket = sent.size();
    receive(frame("reboot", "udp-unit-unknown", ticket), PORT + 2);

    // then: the error goes to the new source, which the session now follows
    assertThat(afterWrongTicket).isZero();
    assertThat(stats.get(Counter.REBOUND)).isOne();
    assertThat(sent)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.frame().getString("code")).isEqualTo("protocol_error");
              assertThat(s.port()).isEqualTo(PORT + 2);
            });
    assertThat(session("udp-unit-unknown").isOpen()).isTrue();
  }

  /** Verifies that a datagram over the maximum size or not JSON is dropped unanswered. */
  @Test
  void oversizedAndMalformedDatagramsAreDroppedUnanswered() {
    // given
    open("udp-unit-junk");

    // when
    receive(
        protocol,
        Buffer.buffer("x".repeat(UdpOptions.defaults().maxDatagramBytes() + 1)),
        HOST,
        PORT);
    receive(protocol, Buffer.buffer("not json"), HOST, PORT);

    // then
    assertThat(sent).isEmpty();
    assertThat(stats.droppedTotal()).isEqualTo(2);
  }

  /**
   * Verifies that a session opened from an IPv6 address gets its bye there, and is forgotten
   * afterwards.
   */
  @Test
  void aSessionOnIpv6GetsItsByeThere() {
    // given
    String ticket = openFromIpv6("udp-unit-v6");
    receive(protocol, frame("ping", "udp-unit-v6", ticket).toBuffer(), IPV6, PORT);
    String sessionId = session("udp-unit-v6").sessionId();
    sent.clear();

    // when
    table.admin().kick("udp-unit-v6");

    // then
    assertThat(stats.get(Counter.REBOUND)).isZero();
    assertThat(sent)
        .containsExactly(
            new Sent(
                new JsonObject()
                    .put("type", "bye")
                    .put("reason", "KICKED")
                    .put("session", sessionId),
                IPV6,
                PORT));
    assertThat(protocol.sessions()).isZero();
  }

  /**
   * Verifies that a session moving from IPv6 to IPv4 follows the device, and its bye goes to the
   * new address.
   */
  @Test
  void aSessionMovingFromIpv6ToIpv4GetsItsByeAtTheIpv4Address() {
    // given
    String ticket = openFromIpv6("udp-unit-v6to4");
    String remoteBefore = session("udp-unit-v6to4").remote();
    receive(frame("ping", "udp-unit-v6to4", ticket), PORT + 3);
    sent.clear();

    // when
    table.admin().kick("udp-unit-v6to4");

    // then
    assertThat(remoteBefore).isEqualTo("[" + IPV6 + "]:" + PORT);
    assertThat(sent)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.host()).isEqualTo(HOST);
              assertThat(s.port()).isEqualTo(PORT + 3);
            });
  }

  /**
   * Verifies that a session moving from IPv4 to IPv6 is reported and answered at its IPv6 address.
   */
  @Test
  void aSessionMovingFromIpv4ToIpv6IsReportedThere() {
    // given
    String ticket = open("udp-unit-4to6");

    // when
    receive(protocol, frame("ping", "udp-unit-4to6", ticket).toBuffer(), IPV6, PORT + 4);

    // then
    assertThat(session("udp-unit-4to6").remote()).isEqualTo("[" + IPV6 + "]:" + (PORT + 4));
    assertThat(sent)
        .containsExactly(new Sent(new JsonObject().put("type", "pong"), IPV6, PORT + 4));
    assertThat(stats.get(Counter.REBOUND)).isOne();
  }

  /**
   * Verifies that a session moving from one IPv6 address to another gets its bye at the new one.
   */
  @Test
  void aSessionMovingBetweenIpv6AddressesGetsItsByeAtTheNewOne() {
    // given
    String ticket = openFromIpv6("udp-unit-v6to6");
    receive(protocol, frame("ping", "udp-unit-v6to6", ticket).toBuffer(), IPV6, PORT + 5);
    sent.clear();

    // when
    table.admin().kick("udp-unit-v6to6");

    // then
    assertThat(sent)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.host()).isEqualTo(IPV6);
              assertThat(s.port()).isEqualTo(PORT + 5);
            });
  }

  private JsonObject hello(String deviceId, String nonce) {
    JsonObject hello = UdpDevice.padded(UdpDevice.hello(deviceId, nonce, 1), UdpDevice.HELLO_BYTES);
    receive(hello, PORT);
    return sent.remove(sent.size() - 1).frame();
  }

  /**
   * Verifies that a repeated hello (its welcome was lost) gets the same welcome again and opens
   * nothing new.
   */
  @Test
  void aRepeatedHelloGetsTheSameWelcomeAndOpensNothing() {
    // given
    protocol.outlet(outlet);
    JsonObject first = hello("udp-unit-repeat", "nonce-1");

    // when
    JsonObject again = hello("udp-unit-repeat", "nonce-1");

    // then
    assertThat(again).isEqualTo(first);
    assertThat(events).containsExactly("opened udp-unit-repeat");
    assertThat(stats.get(Counter.HELLO_REPEATED)).isOne();
  }

  /** Verifies that a hello with a new nonce opens a new session, which takes the old one over. */
  @Test
  void aHelloWithANewNonceTakesTheSessionOver() {
    // given
    protocol.outlet(outlet);
    JsonObject first = hello("udp-unit-renew", "nonce-1");

    // when: a nonce whose hash has the same lowest bit, so only the whole hash tells them apart
    JsonObject second = hello("udp-unit-renew", "nonce-3");

    // then
    assertThat(second.getString("session")).isNotEqualTo(first.getString("session"));
    assertThat(second.getString("ticket")).isNotEqualTo(first.getString("ticket"));
    assertThat(events)
        .containsExactly(
            "opened udp-unit-renew", "closed udp-unit-renew TAKEN_OVER", "opened udp-unit-renew");
  }
}

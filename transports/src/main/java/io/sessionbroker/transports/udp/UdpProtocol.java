package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker does with one datagram (DESIGN §6, {@code docs/protocol.md}): decode, authenticate by
 * ticket, and map to {@code open / touch / close}. Called by every socket's event loop at once; the state it
 * shares is the {@link PeerIndex}, the counters and the session table, all safe for that.
 *
 * <p>The rules that keep UDP from being spoofed or abused:
 * <ul>
 *   <li>Only a datagram whose {@code device} and {@code ticket} match an open session touches, moves or ends
 *       it. Anything else is dropped, counted, and reported (rate-limited) as {@code sessions.rejected}.</li>
 *   <li>A source that has not shown a valid ticket never gets more bytes back than it sent: a hello shorter
 *       than its welcome gets nothing, and no other unauthenticated datagram gets any answer. The broker is no
 *       reflection amplifier for spoofed sources. An {@code error} goes only to a datagram with a valid
 *       ticket.</li>
 * </ul>
 */
final class UdpProtocol {

  static final String TRANSPORT = "udp";

  private static final Logger log = LoggerFactory.getLogger(UdpProtocol.class);

  private final SessionTable table;
  private final UdpOptions options;
  private final DeviceAuth auth;
  private final UdpStats stats;
  /** Peers of open sessions, by device id. */
  private final PeerIndex peers = new PeerIndex();
  /** Peers whose session the table is still opening, by device id: few, and only for a moment. */
  private final Map<String, UdpPeer> opening = new ConcurrentHashMap<>();
  /** The addresses of peers on IPv6, which do not fit a peer's packed address: rare, so kept aside. */
  private final Map<UdpPeer, String> ipv6 = new ConcurrentHashMap<>();
  private final Rejections rejections;
  private final SecureRandom random = new SecureRandom();
  /** Where the broker's own {@code bye} datagrams go out; set once the first socket is bound. */
  private volatile Outlet outlet = (datagram, host, port) -> { };

  UdpProtocol(SessionTable table, UdpOptions options, DeviceAuth auth, UdpStats stats) {
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.stats = stats;
    this.rejections = new Rejections(table, stats, options.rejectionsPerSecond());
  }

  void outlet(Outlet outlet) {
    this.outlet = outlet;
  }

  /** UDP sessions held by this transport, open or opening. */
  int sessions() {
    return peers.size() + opening.size();
  }

  /** The IPv6 address of a peer as {@code [host]:port}. */
  String ipv6(UdpPeer peer) {
    return ipv6.get(peer);
  }

  /** Records a peer's IPv6 address, or forgets it ({@code remote} null). */
  void ipv6(UdpPeer peer, String remote) {
    if (remote == null) {
      ipv6.remove(peer);
    } else {
      ipv6.put(peer, remote);
    }
  }

  /** One datagram from {@code host:port}, read by the socket {@code socket}: the decode-and-dispatch switch. */
  void receive(Outlet socket, Buffer datagram, String host, int port) {
    stats.count(Counter.RECEIVED);
    Source source = new Source(socket, host, port);
    if (datagram.length() > options.maxDatagramBytes()) {
      drop(Drop.OVERSIZED, source, null, "datagram of " + datagram.length() + " bytes, over the maximum of "
          + options.maxDatagramBytes());
      return;
    }
    JsonObject frame;
    try {
      frame = Frames.parse(datagram);
    } catch (FrameException e) {
      drop(Drop.MALFORMED, source, null, e.getMessage());
      return;
    }
    switch (Frames.type(frame)) {
      case Frames.HELLO -> handleHello(source, frame, datagram.length());
      case Frames.PING -> handlePing(source, frame);
      case Frames.DATA -> handleData(source, frame);
      case Frames.BYE -> handleBye(source, frame);
      default -> handleUnknown(source, frame);
    }
  }

  /** Where a datagram came from, and the socket that read it (replies leave through the same socket). */
  private record Source(Outlet socket, String host, int port) {
    void reply(Buffer datagram) {
      socket.send(datagram, host, port);
    }

    String remote() {
      return Endpoints.format(host, port);
    }
  }

  private void handleHello(Source source, JsonObject frame, int helloBytes) {
    stats.count(Counter.HELLO);
    Frames.Hello hello;
    String nonce;
    try {
      hello = Frames.hello(frame);
      nonce = UdpFrames.nonce(frame);
    } catch (FrameException e) {
      drop(Drop.BAD_HELLO, source, UdpFrames.device(frame), e.getMessage());
      return;
    }
    if (!auth.verify(hello.deviceId(), hello.token())) {
      drop(Drop.AUTH_FAILED, source, hello.deviceId(), "the token does not authenticate this device");
      return;
    }
    // Heartbeat 0 means "rely on the transport" on TCP; UDP has nothing else to rely on, so it gets the default.
    long heartbeatMs = hello.heartbeatMs() == 0 ? -1 : hello.heartbeatMs();
    int welcomeBytes = UdpFrames.welcomeLength(table.options().negotiate(heartbeatMs), nonce);
    if (helloBytes < welcomeBytes) {
      drop(Drop.HELLO_TOO_SMALL, source, hello.deviceId(), "hello of " + helloBytes + " bytes is shorter than its "
          + welcomeBytes + "-byte welcome; pad it");
      return;
    }
    UdpPeer current = opening.get(hello.deviceId());
    if (current == null) {
      current = peers.get(hello.deviceId());
    }
    if (current != null && current.repeatedBy(nonce, source.host(), source.port())) {
      stats.count(Counter.HELLO_REPEATED);
      Session session = current.session();
      if (session != null) {
        welcome(source, current, session, nonce, helloBytes);
      }
      return;
    }
    open(source, hello.deviceId(), nonce, heartbeatMs, helloBytes);
  }

  /**
   * Opens a new session for the device, taking over any it had: the table closes the old one with
   * {@code TAKEN_OVER} just before this one opens. Until then the peer waits in {@link #opening}, where a
   * repeat of its hello finds it.
   */
  private void open(Source source, String deviceId, String nonce, long heartbeatMs, int helloBytes) {
    UdpPeer peer = new UdpPeer(this, nonce, random);
    peer.moveTo(source.host(), source.port());
    opening.put(deviceId, peer);
    table.open(new OpenRequest(deviceId, TRANSPORT, null, heartbeatMs, null, peer)).onComplete(opened -> {
      opening.remove(deviceId, peer);
      if (opened.failed()) {
        ipv6(peer, null);
        log.warn("udp_open_failed device={}", deviceId, opened.cause());
        return;
      }
      peer.opened(opened.result());
      peers.put(peer);
      welcome(source, peer, opened.result(), nonce, helloBytes);
    });
  }

  private void welcome(Source source, UdpPeer peer, Session session, String nonce, int helloBytes) {
    Buffer welcome = UdpFrames.welcome(session, peer.ticket(), nonce);
    if (welcome.length() > helloBytes) {
      // Cannot happen: handleHello checked the length of this very welcome. Never amplify all the same.
      log.error("udp_welcome_too_large device={} welcome={} hello={}", session.deviceId(), welcome.length(),
          helloBytes);
      return;
    }
    source.reply(welcome);
    stats.count(Counter.WELCOME_SENT);
  }

  private void handlePing(Source source, JsonObject frame) {
    UdpPeer peer = authenticate(source, frame);
    if (peer == null) {
      return;
    }
    JsonObject status;
    try {
      status = Frames.status(frame);
    } catch (FrameException e) {
      refuse(source, Drop.BAD_FIELD, e);
      return;
    }
    stats.count(Counter.PING);
    if (status == null) {
      table.touch(peer.session());
    } else {
      table.touch(peer.session(), status);
    }
    source.reply(Frames.pong());
  }

  private void handleData(Source source, JsonObject frame) {
    UdpPeer peer = authenticate(source, frame);
    if (peer != null) {
      stats.count(Counter.DATA);
      table.touch(peer.session());
      table.inbound(peer.session(), null, frame.getValue("payload"));
    }
  }

  private void handleBye(Source source, JsonObject frame) {
    UdpPeer peer = authenticate(source, frame);
    if (peer != null) {
      stats.count(Counter.BYE_RECEIVED);
      table.close(peer.session(), CloseReason.CLIENT_CLOSED);
    }
  }

  /** An unknown type: with a valid ticket the device learns it from an {@code error}; without, silence. */
  private void handleUnknown(Source source, JsonObject frame) {
    UdpPeer peer = admitted(frame);
    if (peer == null) {
      drop(Drop.UNKNOWN_TYPE, source, UdpFrames.device(frame), "unknown type \"" + Frames.type(frame) + "\"");
      return;
    }
    follow(peer, source);
    refuse(source, Drop.UNKNOWN_TYPE, new FrameException(Frames.PROTOCOL_ERROR, "unknown frame type"));
  }

  /** The peer whose open session this datagram's device and ticket name, after following it if it moved. */
  private UdpPeer authenticate(Source source, JsonObject frame) {
    UdpPeer peer = admitted(frame);
    if (peer == null) {
      drop(Drop.BAD_TICKET, source, UdpFrames.device(frame), "missing or wrong ticket, or no UDP session");
      return null;
    }
    follow(peer, source);
    return peer;
  }

  private UdpPeer admitted(JsonObject frame) {
    String deviceId = UdpFrames.device(frame);
    String ticket = UdpFrames.ticket(frame);
    UdpPeer peer = deviceId == null || ticket == null ? null : peers.get(deviceId);
    return peer != null && peer.admits(ticket) ? peer : null;
  }

  /** NAT rebinding: a valid ticket from a new source moves the session there. */
  private void follow(UdpPeer peer, Source source) {
    if (!peer.isAt(source.host(), source.port())) {
      String from = peer.remote();
      peer.moveTo(source.host(), source.port());
      stats.count(Counter.REBOUND);
      log.debug("udp_rebound device={} from={} to={}", peer.deviceId(), from, source.remote());
    }
  }

  /** Answers a datagram that carried a valid ticket but cannot be used; the session is left as it was. */
  private void refuse(Source source, Drop reason, FrameException e) {
    stats.drop(reason);
    source.reply(UdpFrames.error(e));
    stats.count(Counter.ERROR_SENT);
  }

  /** Drops an unauthenticated datagram: counted always, reported as a rejection within the rate limit. */
  private void drop(Drop reason, Source source, String deviceId, String message) {
    rejections.drop(reason, source.remote(), deviceId, message);
  }

  /** The table ended a session: forget its peer, and tell the device why if the broker ended it. */
  void closed(UdpPeer peer, Session session, CloseReason reason) {
    peers.remove(peer);
    if (reason.byBroker()) {
      peer.send(outlet, UdpFrames.bye(session, reason));
      stats.count(Counter.BYE_SENT);
    }
    ipv6(peer, null);
  }
}

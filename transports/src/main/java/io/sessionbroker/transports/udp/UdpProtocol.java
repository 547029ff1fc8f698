package io.sessionbroker.transports.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.CommandFailure;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.limits.ConnectLimits;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker does with one datagram (DESIGN §6, {@code docs/protocol.md}): decode,
 * authenticate by ticket, and map to {@code open / touch / close}; hellos go to {@link
 * UdpHandshake}. Called by every socket's event loop at once; the state it shares is the {@link
 * UdpPeers}, the counters and the session table, all safe for that.
 *
 * <p>The rules that keep UDP from being spoofed or abused:
 *
 * <ul>
 *   <li>Only a datagram whose {@code device} and {@code ticket} match an open session touches,
 *       moves or ends it. Anything else is dropped, counted, and reported (rate-limited) as {@code
 *       sessions.rejected}.
 *   <li>A source that has not shown a valid ticket never gets more bytes back than it sent: a hello
 *       shorter than its welcome gets nothing, and no other unauthenticated datagram gets any
 *       answer. The broker is no reflection amplifier for spoofed sources. An {@code error} goes
 *       only to a datagram with a valid ticket, or, as {@code unavailable}, to a hello long enough
 *       for its welcome whose session this node cannot open (a node cut off from its cluster).
 * </ul>
 */
final class UdpProtocol {

  private static final Logger log = LoggerFactory.getLogger(UdpProtocol.class);

  /**
   * An unanswered command datagram is sent again after this long, then after twice as long, and so
   * on until its reply or its timeout: 0.5, 1.5, 3.5, 7.5 s after the first for a 10 s command.
   */
  static final long COMMAND_RESEND_MS = 500;

  private final SessionTable table;
  private final UdpOptions options;
  private final UdpStats stats;
  private final UdpPeers peers = new UdpPeers();
  private final Rejections rejections;
  private final UdpHandshake handshake;

  /** Where the broker's own {@code bye} datagrams go out; set once the first socket is bound. */
  private volatile Outlet outlet;

  UdpProtocol(SessionTable table, UdpOptions options, DeviceAuth auth, UdpStats stats) {
    this(table, options, auth, stats, null);
  }

  UdpProtocol(
      SessionTable table,
      UdpOptions options,
      DeviceAuth auth,
      UdpStats stats,
      ConnectLimits limits) {
    this.table = table;
    this.options = options;
    this.stats = stats;
    this.rejections = new Rejections(table, stats, options.rejectionsPerSecond());
    this.handshake = new UdpHandshake(this, table, auth, peers, stats, rejections, limits);
  }

  /** The socket for the broker's own {@code bye} datagrams; null once the sockets are closed. */
  void outlet(Outlet outlet) {
    this.outlet = outlet;
  }

  /** UDP sessions held by this transport, open or opening. */
  int sessions() {
    return peers.size();
  }

  /** Where peers keep an IPv6 address, which does not fit their packed form. */
  UdpPeers peers() {
    return peers;
  }

  /**
   * One datagram as the socket {@code socket} read it from {@code source}: a plain heartbeat of an
   * open session is answered here without decoding it into JSON ({@link Heartbeats}); anything
   * else, or a heartbeat that needs more than a touch and a {@code pong} (a wrong ticket, a new
   * source address), takes the general way below, which decides what it is.
   */
  void receive(Outlet socket, ByteBuf datagram, InetSocketAddress source) {
    if (datagram.readableBytes() <= options.maxDatagramBytes()
        && heartbeat(socket, datagram, source)) {
      return;
    }
    receive(
        socket,
        Buffer.buffer(ByteBufUtil.getBytes(datagram)),
        source.getAddress().getHostAddress(),
        source.getPort());
  }

  /**
   * The heartbeat's share of {@link #handlePing}, for a plain {@code ping} with the session's
   * ticket from the device's address: touch, count, {@code pong}. False, having done nothing, for
   * any other datagram.
   */
  private boolean heartbeat(Outlet socket, ByteBuf datagram, InetSocketAddress source) {
    Heartbeats.Ping ping = Heartbeats.read(datagram);
    UdpPeer peer = ping == null ? null : admitted(ping.device(), ping.ticket());
    if (peer == null || !peer.isAt(Endpoints.pack(source))) {
      return false;
    }
    stats.count(Counter.RECEIVED);
    stats.count(Counter.PING);
    peer.confirm();
    table.touch(peer.session());
    socket.pong(source);
    return true;
  }

  /**
   * One datagram from {@code host:port}, read by the socket {@code socket}: the decode-and-dispatch
   * switch.
   */
  void receive(Outlet socket, Buffer datagram, String host, int port) {
    stats.count(Counter.RECEIVED);
    Sender sender = new Sender(socket, host, port);
    if (datagram.length() > options.maxDatagramBytes()) {
      drop(
          Drop.OVERSIZED,
          sender,
          null,
          "datagram of "
              + datagram.length()
              + " bytes, over the maximum of "
              + options.maxDatagramBytes());
      return;
    }
    JsonObject frame;
    try {
      frame = Frames.parse(datagram);
    } catch (FrameException e) {
      drop(Drop.MALFORMED, sender, null, e.getMessage());
      return;
    }
    switch (Frames.type(frame)) {
      case Frames.HELLO -> handshake.hello(sender, frame, datagram.length());
      case Frames.PING -> handlePing(sender, frame);
      case Frames.DATA -> handleData(sender, frame);
      case Frames.BYE -> handleBye(sender, frame);
      case Frames.REPLY -> handleReply(sender, frame);
      default -> handleUnknown(sender, frame);
    }
  }

  private void handlePing(Sender sender, JsonObject frame) {
    UdpPeer peer = authenticate(sender, frame);
    if (peer == null) {
      return;
    }
    JsonObject status;
    try {
      status = Frames.status(frame);
    } catch (FrameException e) {
      refuse(sender, Drop.BAD_FIELD, e);
      return;
    }
    stats.count(Counter.PING);
    if (status == null) {
      table.touch(peer.session());
    } else {
      table.touch(peer.session(), status);
    }
    sender.reply(Frames.pong());
  }

  private void handleData(Sender sender, JsonObject frame) {
    UdpPeer peer = authenticate(sender, frame);
    if (peer != null) {
      stats.count(Counter.DATA);
      table.touch(peer.session());
      table.inbound(peer.session(), null, frame.getValue("payload"));
    }
  }

  private void handleBye(Sender sender, JsonObject frame) {
    UdpPeer peer = authenticate(sender, frame);
    if (peer != null) {
      stats.count(Counter.BYE_RECEIVED);
      table.close(peer.session(), CloseReason.CLIENT_CLOSED);
    }
  }

  /** A device's answer to a command: proof of life too; a duplicate is harmless. */
  private void handleReply(Sender sender, JsonObject frame) {
    UdpPeer peer = authenticate(sender, frame);
    if (peer == null) {
      return;
    }
    Frames.Reply reply;
    try {
      reply = Frames.reply(frame);
    } catch (FrameException e) {
      refuse(sender, Drop.BAD_FIELD, e);
      return;
    }
    stats.count(Counter.REPLY);
    table.reply(peer.session(), reply.id(), reply.reply());
  }

  /**
   * Writes a command datagram to the device (and again for each resend, {@link
   * #COMMAND_RESEND_MS}). Never to an address that has not shown the session's ticket since the
   * welcome: a forged hello can open a session at a victim's address, and the victim would then get
   * every command and its resends. A device proves that it receives our datagrams at its address by
   * sending the ticket, which only our welcome told it; until it has, the command is held, and the
   * next resend tries again. A command larger than a datagram may be ({@code udp.maxDatagramBytes},
   * the bound the broker holds devices to as well) fails with 413.
   */
  boolean command(UdpPeer peer, DeviceCommand command) {
    Outlet socket = outlet;
    if (socket == null) {
      return false;
    }
    Buffer datagram = command.frame().toBuffer();
    if (datagram.length() > options.maxDatagramBytes()) {
      throw new CommandFailure(
          CommandFailure.TOO_LARGE,
          "a command of "
              + datagram.length()
              + " bytes does not fit a datagram (udp.maxDatagramBytes="
              + options.maxDatagramBytes()
              + ")");
    }
    if (peer.confirmed()) {
      stats.count(Counter.COMMAND_SENT);
      peer.send(socket, datagram);
    }
    return true;
  }

  /**
   * An unknown type: with a valid ticket the device learns it from an {@code error}; without,
   * silence.
   */
  private void handleUnknown(Sender sender, JsonObject frame) {
    UdpPeer peer = admitted(frame);
    if (peer == null) {
      drop(
          Drop.UNKNOWN_TYPE,
          sender,
          UdpFrames.device(frame),
          "unknown type \"" + Frames.type(frame) + "\"");
      return;
    }
    follow(peer, sender);
    refuse(
        sender, Drop.UNKNOWN_TYPE, new FrameException(Frames.PROTOCOL_ERROR, "unknown frame type"));
  }

  /**
   * The peer whose open session this datagram's device and ticket name, after following it if it
   * moved.
   */
  private UdpPeer authenticate(Sender sender, JsonObject frame) {
    UdpPeer peer = admitted(frame);
    if (peer == null) {
      drop(
          Drop.BAD_TICKET,
          sender,
          UdpFrames.device(frame),
          "missing or wrong ticket, or no UDP session");
      return null;
    }
    follow(peer, sender);
    return peer;
  }

  private UdpPeer admitted(JsonObject frame) {
    return admitted(UdpFrames.device(frame), UdpFrames.ticket(frame));
  }

  private UdpPeer admitted(String deviceId, String ticket) {
    UdpPeer peer = deviceId == null || ticket == null ? null : peers.open(deviceId);
    return peer != null && peer.admits(ticket) ? peer : null;
  }

  /**
   * NAT rebinding: a valid ticket from a new source moves the session there. Either way the
   * device's address has now shown the ticket: commands may go there.
   */
  private void follow(UdpPeer peer, Sender sender) {
    peer.confirm();
    if (!peer.isAt(sender.host(), sender.port())) {
      String from = peer.remote();
      peer.moveTo(sender.host(), sender.port());
      stats.count(Counter.REBOUND);
      log.debug("udp_rebound device={} from={} to={}", peer.deviceId(), from, sender.remote());
    }
  }

  /**
   * Answers a datagram that carried a valid ticket but cannot be used; the session is left as it
   * was.
   */
  private void refuse(Sender sender, Drop reason, FrameException e) {
    stats.drop(reason);
    stats.count(Counter.ERROR_SENT);
    sender.reply(UdpFrames.error(e));
  }

  /**
   * Drops an unauthenticated datagram: counted always, reported as a rejection within the rate
   * limit.
   */
  private void drop(Drop reason, Sender sender, String deviceId, String message) {
    rejections.drop(reason, sender.remote(), deviceId, message);
  }

  /** The table ended a session: forget its peer, and tell the device why if the broker ended it. */
  void closed(UdpPeer peer, Session session, CloseReason reason) {
    Outlet socket = outlet;
    if (reason.byBroker() && socket != null) {
      stats.count(Counter.BYE_SENT);
      peer.send(socket, UdpFrames.bye(session, reason));
    }
    peers.closed(peer);
  }
}

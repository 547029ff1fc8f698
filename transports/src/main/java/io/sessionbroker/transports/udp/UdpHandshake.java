package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.DeviceBanned;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.limits.ConnectLimits;
import io.sessionbroker.transports.udp.UdpStats.Counter;
import io.sessionbroker.transports.udp.UdpStats.Drop;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hello} → {@code welcome} over UDP: validates and authenticates the hello, answers a
 * repeated hello with the same welcome, opens a new session (taking over the device's previous one)
 * for any other, and never answers a hello with more bytes than it carried.
 *
 * <p>Why the length rule: a hello is unauthenticated, so its source address may be forged. If the
 * welcome were longer than the hello, a flood of small forged hellos would make the broker send a
 * larger flood to the victim whose address they carry. A device pads its hello (a {@code pad}
 * field) to at least the length of its welcome; 160 bytes always do ({@code docs/protocol.md}).
 */
final class UdpHandshake {

  private static final Logger log = LoggerFactory.getLogger(UdpHandshake.class);

  /**
   * The answer to a hello whose session the table could not open: the code TCP sends in that case.
   */
  private static final FrameException UNAVAILABLE =
      new FrameException(Frames.UNAVAILABLE, Frames.UNAVAILABLE_MESSAGE);

  private static final FrameException BANNED =
      new FrameException(Frames.FLAPPING, Frames.FLAPPING_MESSAGE);

  private final UdpProtocol protocol;
  private final SessionTable table;
  private final DeviceAuth auth;
  private final UdpPeers peers;
  private final UdpStats stats;
  private final Rejections rejections;

  /** The connect limits a hello counts against, before its token is checked; null: none. */
  private final ConnectLimits limits;

  private final SecureRandom random = new SecureRandom();

  /**
   * Hellos (device and nonce) whose password is being checked on a worker thread: a resent copy
   * meanwhile is not checked again. Shared by the listeners' event loops.
   */
  private final Set<String> checking = ConcurrentHashMap.newKeySet();

  UdpHandshake(
      UdpProtocol protocol,
      SessionTable table,
      DeviceAuth auth,
      UdpPeers peers,
      UdpStats stats,
      Rejections rejections,
      ConnectLimits limits) {
    this.limits = limits;
    this.protocol = protocol;
    this.table = table;
    this.auth = auth;
    this.peers = peers;
    this.stats = stats;
    this.rejections = rejections;
  }

  void hello(Sender sender, JsonObject frame, int helloBytes) {
    stats.count(Counter.HELLO);
    Frames.Hello hello;
    String nonce;
    try {
      hello = Frames.hello(frame);
      nonce = UdpFrames.nonce(frame);
    } catch (FrameException e) {
      rejections.drop(Drop.BAD_HELLO, sender.remote(), UdpFrames.device(frame), e.getMessage());
      return;
    }
    ConnectLimits.Refusal refusal =
        limits == null ? null : limits.admit(sender.host(), false, System.nanoTime());
    if (refusal != null) {
      rejections.drop(
          Drop.RATE_LIMITED,
          sender.remote(),
          hello.deviceId(),
          "over " + refusal.code() + " limit");
      return;
    }
    String checking = hello.deviceId() + '\0' + nonce;
    if (!this.checking.add(checking)) {
      stats.count(Counter.HELLO_REPEATED); // its first copy is being checked
      return;
    }
    auth.check(Vertx.currentContext(), hello.deviceId(), hello.user(), hello.credential())
        .onComplete(
            checked -> {
              this.checking.remove(checking);
              if (checked.succeeded() && checked.result().accepted()) {
                authenticated(sender, hello, nonce, helloBytes);
              } else {
                // No answer and no delay: UDP answers no unauthenticated hello (see the class
                // comment); the event is within the rejections' rate limit.
                rejections.drop(
                    Drop.AUTH_FAILED,
                    sender.remote(),
                    hello.deviceId(),
                    checked.succeeded() ? checked.result().message() : checked.cause().toString());
              }
            });
  }

  private void authenticated(Sender sender, Frames.Hello hello, String nonce, int helloBytes) {
    // Heartbeat 0 means "rely on the transport" on TCP; UDP has nothing else to rely on, so it gets
    // the default.
    long heartbeatMs = hello.heartbeatMs() == 0 ? -1 : hello.heartbeatMs();
    int welcomeBytes = UdpFrames.welcomeLength(table.options().negotiate(heartbeatMs), nonce);
    if (helloBytes < welcomeBytes) {
      rejections.drop(
          Drop.HELLO_TOO_SMALL,
          sender.remote(),
          hello.deviceId(),
          "hello of "
              + helloBytes
              + " bytes is shorter than its "
              + welcomeBytes
              + "-byte welcome; pad it");
      return;
    }
    UdpPeer latest = peers.latest(hello.deviceId());
    if (latest != null && latest.repeatedBy(nonce, sender.host(), sender.port())) {
      stats.count(Counter.HELLO_REPEATED);
      Session session = latest.session();
      if (session != null) { // else it is still being opened, and its welcome is on its way
        welcome(sender, latest, session, nonce, helloBytes, false);
      }
      return;
    }
    open(sender, hello.deviceId(), nonce, heartbeatMs, helloBytes);
  }

  /**
   * Opens a new session for the device, taking over any it had: the table closes the old one with
   * {@code TAKEN_OVER} just before this one opens. Until then the peer waits among the opening
   * ones, where a repeat of its hello finds it.
   */
  private void open(
      Sender sender, String deviceId, String nonce, long heartbeatMs, int helloBytes) {
    UdpPeer peer = new UdpPeer(protocol, nonce, random);
    peer.moveTo(sender.host(), sender.port());
    peers.opening(deviceId, peer);
    OpenRequest request =
        new OpenRequest(deviceId, TransportName.UDP.id(), null, heartbeatMs, null, peer);
    table
        .open(request)
        .onComplete(
            opened -> {
              if (opened.failed() && opened.cause() instanceof DeviceBanned banned) {
                peers.opened(deviceId, peer, false);
                rejections.drop(Drop.FLAPPING, sender.remote(), deviceId, banned.getMessage());
                answer(sender, helloBytes, BANNED);
                return;
              }
              if (opened.failed()) {
                peers.opened(deviceId, peer, false);
                // Debug, without a trace: a fenced node refuses every hello (a flood of them must
                // not flood the log); a failed directory claim is logged by the table itself.
                log.debug(
                    "udp_open_failed device={} cause={}", deviceId, opened.cause().getMessage());
                answer(sender, helloBytes, UNAVAILABLE);
                return;
              }
              peer.opened(opened.result());
              peers.opened(deviceId, peer, true);
              welcome(sender, peer, opened.result(), nonce, helloBytes, true);
            });
  }

  /**
   * Tells the device that this node cannot open its session now (e.g. it is cut off from its
   * cluster), as TCP does, so that it tries another node instead of waiting for a welcome
   * (docs/cluster.md, split brain), or that it is banned for flapping. The hello was long enough
   * for a welcome, and the error is shorter than any welcome: no amplification.
   */
  private void answer(Sender sender, int helloBytes, FrameException why) {
    Buffer error = UdpFrames.error(why);
    if (error.length() <= helloBytes) {
      stats.count(Counter.ERROR_SENT);
      sender.post(error);
    }
  }

  /**
   * @param post whether this answers the table (see {@link Outlet#post}) rather than the hello at
   *     hand
   */
  private void welcome(
      Sender sender, UdpPeer peer, Session session, String nonce, int helloBytes, boolean post) {
    Buffer welcome = UdpFrames.welcome(session, peer.ticket(), nonce);
    if (welcome.length() > helloBytes) {
      // Cannot happen: hello() checked the length of this very welcome. Never amplify all the same.
      log.error(
          "udp_welcome_too_large device={} welcome={} hello={}",
          session.deviceId(),
          welcome.length(),
          helloBytes);
      return;
    }
    stats.count(Counter.WELCOME_SENT);
    if (post) {
      sender.post(welcome);
    } else {
      sender.reply(welcome);
    }
  }
}

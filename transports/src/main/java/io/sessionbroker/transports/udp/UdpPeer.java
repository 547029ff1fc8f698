package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.Session;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;

/**
 * The UDP side of one session: its ticket, the device's last known address, and the nonce of the
 * hello that opened it. It is also the session's {@link Connection}, so the table reaches the
 * transport through it and {@link Session#remote()} reads the address from here.
 *
 * <p>Kept to 56 bytes (12-byte header, two references, the two ticket halves, the packed address,
 * the nonce hash, and whether the address has shown the ticket; 48 before that flag came with
 * commands to devices): at a million sessions every byte here is a megabyte. The device id is the
 * session's; an IPv6 address, which does not fit the packed form, is kept aside by {@link
 * UdpPeers}.
 *
 * <p>Threading: created on an event loop; {@link #session} is set on the table's thread once the
 * session is open; the address may move from any event loop (NAT rebinding). Both are volatile; the
 * ticket and the nonce never change.
 */
final class UdpPeer implements Connection {

  private final UdpProtocol protocol;
  private final long ticketHigh;
  private final long ticketLow;

  /** Hash of the hello's nonce; 0 when it had none, so a repeat of it cannot be recognised. */
  private final int nonce;

  private volatile Session session;

  /** The device's IPv4 address and port ({@link Endpoints}), or {@link Endpoints#NOT_IPV4}. */
  private volatile long endpoint;

  /**
   * Whether a datagram with the ticket came from the device's address since the welcome: only then
   * does it get commands ({@link UdpProtocol#command}).
   */
  private volatile boolean confirmed;

  UdpPeer(UdpProtocol protocol, String nonce, SecureRandom random) {
    this.protocol = protocol;
    this.ticketHigh = random.nextLong();
    this.ticketLow = random.nextLong();
    this.nonce = nonceHash(nonce);
  }

  /** The open session; null until the table has opened it. */
  Session session() {
    return session;
  }

  void opened(Session session) {
    this.session = session;
  }

  /** The device id; only for a peer whose session is open (the key of {@link UdpPeers}). */
  String deviceId() {
    return session.deviceId();
  }

  String ticket() {
    return Tickets.encode(ticketHigh, ticketLow);
  }

  /**
   * Whether {@code ticket} is this session's, and the session is open: the datagram speaks for it.
   */
  boolean admits(String ticket) {
    Session open = session;
    return open != null && open.isOpen() && Tickets.matches(ticket, ticketHigh, ticketLow);
  }

  /**
   * Whether a hello with this nonce from this source repeats the one that opened this session (its
   * welcome was lost): same nonce, same source, and the session is opening or open.
   */
  boolean repeatedBy(String nonce, String host, int port) {
    Session current = session;
    return nonce != null
        && nonceHash(nonce) == this.nonce
        && isAt(host, port)
        && (current == null || current.isOpen());
  }

  /** Whether the device is at this packed IPv4 address ({@link Endpoints}); false on IPv6. */
  boolean isAt(long packed) {
    return packed != Endpoints.NOT_IPV4 && packed == endpoint;
  }

  boolean isAt(String host, int port) {
    long packed = endpoint;
    return packed != Endpoints.NOT_IPV4
        ? packed == Endpoints.pack(host, port)
        : Endpoints.format(host, port).equals(protocol.peers().ipv6(this));
  }

  /**
   * Where the device is now; on a new source (NAT rebinding), replies and {@code bye} go there from
   * now on.
   */
  void moveTo(String host, int port) {
    long packed = Endpoints.pack(host, port);
    if (packed == Endpoints.NOT_IPV4) {
      protocol.peers().ipv6(this, Endpoints.format(host, port));
    }
    long before = endpoint;
    endpoint = packed;
    if (before == Endpoints.NOT_IPV4 && packed != Endpoints.NOT_IPV4) {
      protocol.peers().ipv6(this, null);
    }
  }

  /**
   * Sends a datagram to the device's last known address (read once, so host and port belong
   * together).
   */
  void send(Outlet outlet, Buffer datagram) {
    long packed = endpoint;
    if (packed != Endpoints.NOT_IPV4) {
      outlet.send(datagram, Endpoints.host(packed), Endpoints.port(packed));
    } else {
      String remote = protocol.peers().ipv6(this);
      if (remote != null) { // null once the session has ended and its peer is forgotten
        int colon = remote.lastIndexOf(':');
        outlet.send(
            datagram,
            remote.substring(1, colon - 1),
            Integer.parseInt(remote.substring(colon + 1)));
      }
    }
  }

  @Override
  public String remote() {
    long packed = endpoint;
    return packed != Endpoints.NOT_IPV4
        ? Endpoints.format(Endpoints.host(packed), Endpoints.port(packed))
        : protocol.peers().ipv6(this);
  }

  boolean confirmed() {
    return confirmed;
  }

  /** A datagram with the ticket came from the device's current address. */
  void confirm() {
    if (!confirmed) {
      confirmed = true;
    }
  }

  @Override
  public boolean command(Session session, DeviceCommand command) {
    return protocol.command(this, command);
  }

  @Override
  public long commandResendMs() {
    return UdpProtocol.COMMAND_RESEND_MS;
  }

  @Override
  public void closed(Session session, CloseReason reason) {
    protocol.closed(this, session, reason);
  }

  @Override
  public String toString() {
    Session open = session;
    return "UdpPeer[" + (open == null ? "opening" : open.deviceId()) + " " + remote() + "]";
  }

  private static int nonceHash(String nonce) {
    return nonce == null ? 0 : nonce.hashCode() | 1;
  }
}

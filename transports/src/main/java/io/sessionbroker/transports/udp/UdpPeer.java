package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.Session;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;

/**
 * The UDP side of one session: its ticket, the device's last known address, and the nonce of the hello that
 * opened it. It is also the session's {@link Connection}, so the table reaches the transport through it and
 * {@link Session#remote()} reads the address from here.
 *
 * <p>Kept to 56 bytes (12-byte header, five references, two ticket halves, the packed address and the nonce
 * hash): at a million sessions every field costs a megabyte per byte.
 *
 * <p>Threading: created on an event loop; {@link #session} is set on the table's thread once the session is
 * open; the address may move from any event loop (NAT rebinding). All three are volatile; the ticket, device
 * and nonce never change.
 */
final class UdpPeer implements Connection {

  private final UdpProtocol protocol;
  private final String deviceId;
  private final long ticketHigh;
  private final long ticketLow;
  /** Hash of the hello's nonce; 0 when it had none, so a repeat of it cannot be recognised. */
  private final int nonce;
  private volatile Session session;
  /** The device's IPv4 address and port ({@link Endpoints}), or {@link Endpoints#NOT_IPV4} (see {@link #ipv6}). */
  private volatile long endpoint;
  /** The device's IPv6 address when {@link #endpoint} is {@link Endpoints#NOT_IPV4}. */
  private volatile Ipv6 ipv6;

  /** An IPv6 source: rare enough to keep as an object. */
  private record Ipv6(String host, int port) {}

  UdpPeer(UdpProtocol protocol, String deviceId, String nonce, String host, int port, SecureRandom random) {
    this.protocol = protocol;
    this.deviceId = deviceId;
    this.ticketHigh = random.nextLong();
    this.ticketLow = random.nextLong();
    this.nonce = nonce == null ? 0 : nonce.hashCode() | 1;
    moveTo(host, port);
  }

  String deviceId() {
    return deviceId;
  }

  /** The open session, or null while the table is still opening it. */
  Session session() {
    return session;
  }

  void opened(Session session) {
    this.session = session;
  }

  String ticket() {
    return Tickets.encode(ticketHigh, ticketLow);
  }

  /** Whether {@code ticket} is this session's, and the session is open: the datagram speaks for it. */
  boolean admits(String ticket) {
    Session open = session;
    return open != null && open.isOpen() && Tickets.matches(ticket, ticketHigh, ticketLow);
  }

  /**
   * Whether a hello with this nonce from this source repeats the one that opened this session (its welcome
   * was lost): same nonce, same source, and the session is opening or open.
   */
  boolean repeatedBy(String nonce, String host, int port) {
    Session current = session;
    return nonce != null && (nonce.hashCode() | 1) == this.nonce && isAt(host, port)
        && (current == null || current.isOpen());
  }

  boolean isAt(String host, int port) {
    long packed = endpoint;
    if (packed != Endpoints.NOT_IPV4) {
      return packed == Endpoints.pack(host, port);
    }
    Ipv6 address = ipv6;
    return address.port() == port && address.host().equals(host);
  }

  /** NAT rebinding: replies and the broker's {@code bye} go to the new source from now on. */
  void moveTo(String host, int port) {
    long packed = Endpoints.pack(host, port);
    if (packed == Endpoints.NOT_IPV4) {
      ipv6 = new Ipv6(host, port);
    }
    endpoint = packed;
  }

  /** Sends a datagram to the device's last known address (read once, so host and port belong together). */
  void send(Outlet outlet, Buffer datagram) {
    long packed = endpoint;
    if (packed != Endpoints.NOT_IPV4) {
      outlet.send(datagram, Endpoints.host(packed), Endpoints.port(packed));
    } else {
      Ipv6 address = ipv6;
      outlet.send(datagram, address.host(), address.port());
    }
  }

  @Override
  public String remote() {
    long packed = endpoint;
    if (packed != Endpoints.NOT_IPV4) {
      return Endpoints.format(Endpoints.host(packed), Endpoints.port(packed));
    }
    Ipv6 address = ipv6;
    return Endpoints.format(address.host(), address.port());
  }

  @Override
  public void closed(Session session, CloseReason reason) {
    protocol.closed(this, session, reason);
  }

  @Override
  public String toString() {
    return "UdpPeer[" + deviceId + " " + remote() + "]";
  }
}

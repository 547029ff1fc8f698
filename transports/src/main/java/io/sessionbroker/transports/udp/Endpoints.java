package io.sessionbroker.transports.udp;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * A device's IPv4 address and port packed into one {@code long}: {@code address << 16 | port}. A
 * session keeps its device's address this way, in 8 bytes and one volatile field, instead of as an
 * {@link java.net.InetSocketAddress} (about 90 bytes) or a {@code "host:port"} string (about 56).
 * IPv6 addresses do not fit; {@link #NOT_IPV4} says so and the caller keeps those another way.
 */
final class Endpoints {

  /** The packed form of an address that is not an IPv4 literal. */
  static final long NOT_IPV4 = -1;

  private Endpoints() {}

  /** Packs a dotted-quad IPv4 literal and a port; {@link #NOT_IPV4} for anything else. */
  static long pack(String host, int port) {
    long address = 0;
    int octets = 0;
    int octet = -1;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        octet = (octet < 0 ? 0 : octet * 10) + (c - '0');
        if (octet > 255) {
          return NOT_IPV4;
        }
      } else if (c == '.' && octet >= 0 && octets < 4) {
        address = address << 8 | octet;
        octets++;
        octet = -1;
      } else {
        return NOT_IPV4;
      }
    }
    return octets == 4 ? address << 16 | (port & 0xFFFF) : NOT_IPV4;
  }

  /** Packs a datagram's source; {@link #NOT_IPV4} for an IPv6 one. */
  static long pack(InetSocketAddress source) {
    if (!(source.getAddress() instanceof Inet4Address address)) {
      return NOT_IPV4;
    }
    byte[] octets = address.getAddress();
    long packed = 0;
    for (byte octet : octets) {
      packed = packed << 8 | (octet & 0xFF);
    }
    return packed << 16 | (source.getPort() & 0xFFFF);
  }

  static String host(long packed) {
    long address = packed >>> 16;
    return (address >>> 24)
        + "."
        + (address >>> 16 & 0xFF)
        + "."
        + (address >>> 8 & 0xFF)
        + "."
        + (address & 0xFF);
  }

  static int port(long packed) {
    return (int) (packed & 0xFFFF);
  }

  /** {@code host:port}, with an IPv6 host in brackets: {@code [::1]:5683}. */
  static String format(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}

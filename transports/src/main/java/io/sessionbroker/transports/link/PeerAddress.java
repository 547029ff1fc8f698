package io.sessionbroker.transports.link;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A connection's peer as {@code host:port}, read from its Netty channel when asked instead of kept.
 *
 * <p>Why: a link needs the device's address only for its open request (the opened event), its
 * rejections and its log lines. Kept as a string per connection it cost ≈ 56 bytes, and asking the
 * Vert.x socket for it ({@code NetSocket.remoteAddress()}) makes Vert.x build and keep a {@code
 * SocketAddressImpl} and its host string for the connection's whole life (≈ 90 bytes more); Netty
 * already holds the peer's {@link InetSocketAddress} for every accepted channel (issue 17,
 * docs/benchmarks.md, "Memory after issue 17"). The format is Vert.x's {@code
 * SocketAddress.toString()}: {@code getHostString()}, a colon, the port.
 */
public final class PeerAddress {

  private PeerAddress() {}

  /** {@code channel}'s peer as {@code host:port}; thread-safe, also after the channel closed. */
  public static String of(Channel channel) {
    SocketAddress address = channel.remoteAddress();
    return address instanceof InetSocketAddress inet
        ? inet.getHostString() + ":" + inet.getPort()
        : String.valueOf(address);
  }
}

package io.sessionbroker.transports.udp;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Settings of the UDP transport.
 *
 * @param host the address to bind; loopback by default (DESIGN §8)
 * @param port the port to bind; 0 picks a free one (tests)
 * @param maxDatagramBytes larger datagrams are dropped unread; at most 2,048, the receive buffer
 *     Netty gives each datagram (a longer one arrives cut to 2,048 bytes and is dropped as
 *     oversized all the same)
 * @param eventLoops sockets bound to the port with {@code SO_REUSEPORT}, each on its own event
 *     loop, when the native transport is in use (the kernel spreads sources over them); 0 = one per
 *     CPU. Without the native transport there is one socket
 * @param receiveBufferBytes each socket's receive buffer ({@code SO_RCVBUF}), which holds datagrams
 *     while the broker is busy; 0 keeps the kernel default ({@code net.core.rmem_default}). Linux
 *     caps the request at {@code net.core.rmem_max} (about 208 KiB unless raised with {@code
 *     sysctl}); the granted size is logged
 * @param rejectionsPerSecond at most this many {@code sessions.rejected} events per second for
 *     dropped datagrams; the rest are only counted (a flood must not become an event storm)
 * @param readPauseMicros after reading what a socket holds, the socket is left alone this long:
 *     datagrams arriving meanwhile wait in its receive buffer and are then read, handled and
 *     answered together ({@link ReadPacer}); a datagram waits at most this long. 0 reads each one
 *     as it arrives
 */
public record UdpOptions(
    String host,
    int port,
    int maxDatagramBytes,
    int eventLoops,
    int receiveBufferBytes,
    int rejectionsPerSecond,
    int readPauseMicros) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7001;
  public static final int DEFAULT_MAX_DATAGRAM_BYTES = 1024;
  public static final int DEFAULT_EVENT_LOOPS = 0;

  /** 4 MiB: a burst of ~5,000 heartbeats, or a 100 ms pause at 50,000 datagrams a second. */
  public static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

  public static final int DEFAULT_REJECTIONS_PER_SECOND = 10;

  /**
   * 2 ms: at 5,000 heartbeats a second a socket's read finds ~5 of them instead of one (issue 17,
   * docs/benchmarks.md); nothing a device or a deadline of seconds notices.
   */
  public static final int DEFAULT_READ_PAUSE_MICROS = 2_000;

  /** A second: a longer pause would hold heartbeats back by a noticeable share of a deadline. */
  static final int MAX_READ_PAUSE_MICROS = 1_000_000;

  /** Netty's fixed receive buffer per datagram. */
  static final int MAX_RECEIVABLE_BYTES = 2048;

  /** Room for a padded hello: see {@code docs/protocol.md}. */
  static final int MIN_DATAGRAM_BYTES = 256;

  public UdpOptions {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
    }
    if (maxDatagramBytes < MIN_DATAGRAM_BYTES || maxDatagramBytes > MAX_RECEIVABLE_BYTES) {
      throw new IllegalArgumentException(
          "maxDatagramBytes must be "
              + MIN_DATAGRAM_BYTES
              + " to "
              + MAX_RECEIVABLE_BYTES
              + ", was "
              + maxDatagramBytes);
    }
    if (eventLoops < 0 || receiveBufferBytes < 0 || rejectionsPerSecond < 0) {
      throw new IllegalArgumentException(
          "eventLoops, receiveBufferBytes and rejectionsPerSecond must be >= 0");
    }
    if (readPauseMicros < 0 || readPauseMicros > MAX_READ_PAUSE_MICROS) {
      throw new IllegalArgumentException(
          "readPauseMicros must be 0 to " + MAX_READ_PAUSE_MICROS + ", was " + readPauseMicros);
    }
  }

  public static UdpOptions defaults() {
    return fromJson(new JsonObject());
  }

  /** Reads options from JSON; missing fields take their {@code DEFAULT_*} value. */
  public static UdpOptions fromJson(JsonObject json) {
    return new UdpOptions(
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        json.getInteger("maxDatagramBytes", DEFAULT_MAX_DATAGRAM_BYTES),
        json.getInteger("eventLoops", DEFAULT_EVENT_LOOPS),
        json.getInteger("receiveBufferBytes", DEFAULT_RECEIVE_BUFFER_BYTES),
        json.getInteger("rejectionsPerSecond", DEFAULT_REJECTIONS_PER_SECOND),
        json.getInteger("readPauseMicros", DEFAULT_READ_PAUSE_MICROS));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host)
        .put("port", port)
        .put("maxDatagramBytes", maxDatagramBytes)
        .put("eventLoops", eventLoops)
        .put("receiveBufferBytes", receiveBufferBytes)
        .put("rejectionsPerSecond", rejectionsPerSecond)
        .put("readPauseMicros", readPauseMicros);
  }

  /** The same options on another port. */
  public UdpOptions withPort(int port) {
    return new UdpOptions(
        host,
        port,
        maxDatagramBytes,
        eventLoops,
        receiveBufferBytes,
        rejectionsPerSecond,
        readPauseMicros);
  }

  /** The same options with another read pause. */
  public UdpOptions withReadPauseMicros(int readPauseMicros) {
    return new UdpOptions(
        host,
        port,
        maxDatagramBytes,
        eventLoops,
        receiveBufferBytes,
        rejectionsPerSecond,
        readPauseMicros);
  }

  /** The number of sockets to bind when the native transport allows {@code SO_REUSEPORT}. */
  int socketCount() {
    return eventLoops > 0 ? eventLoops : Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}

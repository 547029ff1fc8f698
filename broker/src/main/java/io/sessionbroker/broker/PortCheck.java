package io.sessionbroker.broker;

import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.tls.ListenerTls;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Fails the process's start at once when a configured port is taken, before the start-up rehearsal
 * ({@link Warmup}) spends up to {@code node.warmupMaxMs} for nothing: an operator whose MQTT port
 * is held by another broker hears so in well under a second, not after the rehearsal
 * (StartupFailureIT).
 *
 * <p>A look, not a reservation: each port is bound and released at once, so a port taken between
 * this check and the listener's own bind still fails the start there, with the same message. Only
 * "address in use" fails here; any other bind error (a host this machine does not have, say) is
 * left to the listener, whose message is the one operators know.
 */
final class PortCheck {

  private PortCheck() {}

  /**
   * Throws a {@link ListenerException} naming the first configured listener whose port is taken.
   */
  static void ensureFree(BrokerConfig config) {
    if (config.tcp() != null) {
      stream(config, TransportName.TCP.id(), config.tcp().host(), config.tcp().port());
    }
    if (config.mqtt() != null) {
      stream(config, TransportName.MQTT.id(), config.mqtt().host(), config.mqtt().port());
    }
    if (config.websocket() != null) {
      stream(
          config,
          TransportName.WEBSOCKET.id(),
          config.websocket().host(),
          config.websocket().port());
    }
    if (config.udp() != null) {
      datagram(TransportName.UDP.id(), config.udp().host(), config.udp().port());
    }
    if (config.bridge().enabled()) {
      stream(config, "bridge", config.bridge().host(), config.bridge().port());
    }
    if (config.http().enabled()) {
      stream(config, "http", config.http().host(), config.http().port());
    }
  }

  /** The listener's plain port (unless it takes TLS only) and its TLS port. */
  private static void stream(BrokerConfig config, String name, String host, int port) {
    ListenerTls tls = config.tls(name);
    if (tls.plain()) {
      check(name + " " + host + ":" + port, () -> bindTcp(host, port), port);
    }
    if (tls.enabled()) {
      check(name + " tls " + host + ":" + tls.port(), () -> bindTcp(host, tls.port()), tls.port());
    }
  }

  private static void datagram(String name, String host, int port) {
    check(
        name + " " + host + ":" + port,
        () -> {
          try (DatagramSocket socket = new DatagramSocket(null)) {
            socket.bind(new InetSocketAddress(host, port));
          }
        },
        port);
  }

  private static void bindTcp(String host, int port) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      // as Vert.x binds its servers: a port with only connections in TIME_WAIT is free
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    }
  }

  private interface Bind {
    void run() throws IOException;
  }

  private static void check(String what, Bind bind, int port) {
    if (port <= 0) {
      return; // 0: any free port, chosen by the listener itself
    }
    try {
      bind.run();
    } catch (BindException e) {
      if (String.valueOf(e.getMessage()).contains("in use")) {
        throw ListenerException.inUse(what, e);
      }
    } catch (IOException | RuntimeException e) {
      // not ours to judge: the listener's own bind reports it
    }
  }
}

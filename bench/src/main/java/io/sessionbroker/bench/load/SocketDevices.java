package io.sessionbroker.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.EnumMap;
import java.util.Map;

/**
 * The socket side of the connection transports (TCP, MQTT, WebSocket; UDP is {@link UdpDevices}'s):
 * connects a device's socket, runs its TLS handshake ({@code --tls-ca}) and its opening, then reads
 * what the broker writes on the open session — heartbeat answers, commands ({@code --commands}),
 * and the end of the session as the device sees it: EOF, the WebSocket close frame, and on TCP the
 * {@code bye} frame's arrival. Called on the worker's thread; outcomes go back through {@link
 * UdpDevices.Outcomes}.
 */
final class SocketDevices {

  private final LoadOptions o;
  private final Counters counters;
  private final UdpDevices.Outcomes outcomes;
  private final DeviceCommands commands;
  private final Tls tls;

  /** The broker's address per transport, resolved once: not per connect. */
  private final Map<Transport, InetSocketAddress> addresses = new EnumMap<>(Transport.class);

  /** One thread reads one socket at a time: one buffer serves every device. */
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);

  SocketDevices(LoadOptions o, Counters counters, UdpDevices.Outcomes outcomes) throws IOException {
    this.o = o;
    this.counters = counters;
    this.outcomes = outcomes;
    this.commands = new DeviceCommands(counters);
    this.tls = o.tlsCa() == null ? null : new Tls(o.tlsCa());
    for (Transport t : o.transports()) {
      addresses.put(t, new InetSocketAddress(o.host(), o.portOf(t)));
    }
  }

  /** Opens the device's socket and starts connecting it (non-blocking). */
  void start(Device d, Selector selector) {
    try {
      d.channel = SocketChannel.open();
      d.channel.configureBlocking(false);
      d.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      d.key = d.channel.register(selector, SelectionKey.OP_CONNECT, d);
      if (d.channel.connect(addresses.get(d.transport))) {
        connected(d);
      }
    } catch (IOException e) {
      outcomes.failed(d, e);
    }
  }

  /** The selector says the device's socket is ready: connected, or bytes (or EOF) to read. */
  void ready(SelectionKey key, Device d) {
    try {
      if (key.isValid() && key.isConnectable()) {
        d.channel.finishConnect();
        connected(d);
      } else if (key.isValid() && key.isReadable()) {
        read(d);
      }
    } catch (IOException | RuntimeException e) {
      if (d.state == Device.State.OPEN) {
        outcomes.closed(d);
      } else {
        outcomes.failed(d, e);
      }
    }
  }

  private void connected(Device d) throws IOException {
    d.state = Device.State.HANDSHAKE;
    d.key.interestOps(SelectionKey.OP_READ);
    if (tls != null) { // the opening goes out once the TLS handshake is done (read)
      d.tls = tls.link();
      if (!d.tls.handshake(d.channel, readBuffer.clear())) {
        return;
      }
    }
    sendOpening(d);
  }

  private void sendOpening(Device d) throws IOException {
    d.handshake = new byte[512];
    d.handshakeLength = 0;
    long sent = System.nanoTime(); // the broker counts the session's life from the opening
    Devices.write(
        d,
        Wire.opening(
            d.transport, d.id, o.heartbeatMs(), o.host(), o.portOf(d.transport), o.wsPath()));
    d.lastSentNanos = sent;
  }

  private void read(Device d) throws IOException {
    readBuffer.clear();
    boolean wasEstablished = d.tls == null || d.tls.established();
    int n = d.tls == null ? d.channel.read(readBuffer) : d.tls.read(d.channel, readBuffer);
    if (!wasEstablished && d.tls.established()) {
      sendOpening(d);
    }
    if (n == 0) {
      return; // TLS: a partial record or handshake bytes only
    }
    if (n < 0) {
      if (d.state == Device.State.OPEN) {
        outcomes.closed(d);
      } else {
        outcomes.failed(d, new IOException("closed by the broker during the handshake"));
      }
      return;
    }
    readBuffer.flip();
    if (d.state == Device.State.HANDSHAKE) {
      handshakeBytes(d, n);
    } else {
      sessionBytes(d);
    }
  }

  /** The broker's answer to the opening, kept until it is whole (welcome, CONNACK, 101). */
  private void handshakeBytes(Device d, int n) {
    int take = Math.min(n, d.handshake.length - d.handshakeLength);
    readBuffer.get(d.handshake, d.handshakeLength, take);
    d.handshakeLength += take;
    long timeoutMs = Wire.handshake(d.transport, d.handshake, d.handshakeLength, o.heartbeatMs());
    if (timeoutMs >= 0) {
      outcomes.opened(d, timeoutMs);
    }
  }

  /**
   * Pongs, PINGRESPs, WebSocket pings (never answered: only our heartbeats prove liveness), and
   * with {@code --commands} commands, answered at once. The broker's WebSocket close frame ends the
   * session for the device (answered with a close frame), as EOF does on TCP and MQTT; on TCP the
   * {@code bye} after the silence is stamped (the socket closes after it).
   */
  private void sessionBytes(Device d) throws IOException {
    if (d.transport == Transport.TCP
        && outcomes.silenced()
        && d.byeNanos == 0
        && Wire.containsBye(readBuffer)) {
      d.byeNanos = System.nanoTime();
    }
    boolean closeFrame =
        o.commands().answer()
            ? commands.read(d, readBuffer)
            : d.transport == Transport.WEBSOCKET
                && d.state == Device.State.OPEN
                && Wire.wsCloseFrame(d, readBuffer);
    if (closeFrame && d.state == Device.State.OPEN) {
      Devices.write(d, Wire.wsCloseReply()); // through TLS when the session runs over it
      outcomes.closed(d);
    }
  }

  /**
   * With {@code --commands}: an MQTT device subscribes to its command topic (ready at the SUBACK,
   * returns false); TCP and WebSocket devices are ready at once (true).
   */
  boolean readyForCommands(Device d) {
    if (d.transport != Transport.MQTT) {
      return true;
    }
    try {
      Devices.write(d, DeviceCommands.mqttSubscribe(d.id));
    } catch (IOException e) {
      outcomes.closed(d);
    }
    return false;
  }
}

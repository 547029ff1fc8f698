package io.sessionbroker.bench.load;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One simulated device: its socket and the times the measurements need. Confined to its worker's
 * thread.
 */
final class Device {

  enum State {
    CONNECTING,
    HANDSHAKE,
    OPEN,
    CLOSED,
    FAILED
  }

  final int index;
  final String id;
  final Transport transport;
  final boolean silent;
  SocketChannel channel;
  SelectionKey key;
  State state = State.CONNECTING;

  /** The broker's answer to the opening, until the session is open; then dropped. */
  byte[] handshake;

  int handshakeLength;
  long timeoutMs;
  long startNanos;
  long nextPingNanos;
  long lastSentNanos;

  /** {@link #lastSentNanos} on the wall clock, to compare with the broker's event times. */
  double lastSentWallMs;

  long closedNanos;

  /**
   * When the selector poll that reported the close returned ({@link #closedNanos} is taken later,
   * after the sockets before this one in the same poll were handled): the close as a device with a
   * thread of its own would see it, without the load generator's single reader. Reported beside
   * {@link #closedNanos}, never instead of it.
   */
  long closedPolledNanos;

  /**
   * Stamps the close: read at {@code now}, while the keys of the poll that returned at {@code
   * polledNanos} were handled (0: outside a poll, then the read time). Not a UDP close's poll: UDP
   * devices share a few sockets, each drained to the end once a poll reports it, so a {@code bye}
   * read there may have arrived after that poll returned, and the poll's time would put the close
   * before it happened (the suite's run of 2026-12-07 11:12 UTC: 4 and 8 UDP closes "early" by up
   * to 1.8 ms on this stamp alone, every other stamp of the same closes after the deadline).
   */
  void stampClose(long now, long polledNanos) {
    closedNanos = now;
    closedPolledNanos = polledNanos != 0 && transport != Transport.UDP ? polledNanos : now;
  }

  /** Closed by the broker while still heartbeating (not silenced); whether before the silence. */
  boolean lost;

  boolean lostBeforeSilence;

  /** The wall times of the last {@link Losses#KEPT} heartbeats sent, for {@link Losses}. */
  final double[] sentWallMs = new double[Losses.KEPT];

  int sentCount;

  /** TCP: when the broker's {@code bye} arrived (then the socket closes). */
  long byeNanos;

  /** Whether the silence's last heartbeat went out: only these devices give lateness samples. */
  boolean silencePingSent;

  /**
   * WebSocket: payload bytes of the current server frame still to skip (see {@link
   * Wire#wsCloseFrame}).
   */
  long wsSkip;

  /** UDP: the welcome's ticket and session id; the local socket (index) the device sends from. */
  String ticket;

  String session;
  int udpSocket;

  /** UDP: hellos sent so far (a lost hello or welcome is answered by the same hello again). */
  int hellos;

  long helloAgainNanos;

  /** Commands: bytes read but not yet a whole frame; whether the device can take commands yet. */
  byte[] inbox;

  int inboxLength;
  boolean ready;

  /** {@code --tls-ca}: the device's TLS connection; null in plain text. */
  Tls.Link tls;

  Device(int index, String id, Transport transport, boolean silent) {
    this.index = index;
    this.id = id;
    this.transport = transport;
    this.silent = silent;
  }
}

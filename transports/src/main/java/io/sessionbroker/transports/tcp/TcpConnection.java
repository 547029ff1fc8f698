package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device connection over raw TCP. Lives on the socket's event loop.
 *
 * <p>States: {@code AWAITING_HELLO} (handshake deadline running) → {@code OPENING} (input paused until the
 * table has opened the session) → {@code OPEN} → {@code CLOSED}. Once open, every frame proves liveness. The
 * session ends through the table only ({@link SessionTable#close}); the table calls back {@link #ended}, which
 * says goodbye when the broker ended it and closes the socket.
 */
final class TcpConnection {

  private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

  private enum State { AWAITING_HELLO, OPENING, OPEN, CLOSED }

  private final Vertx vertx;
  private final Context context;
  private final NetSocket socket;
  private final SessionTable table;
  private final TcpOptions options;
  private final DeviceAuth auth;
  private final String remote;
  private final RecordParser parser;
  private State state = State.AWAITING_HELLO;
  private Session session;
  /** The device a valid hello named, for a rejection after it (auth_failed, a refused open); null before. */
  private String claimedDevice;
  private long handshakeTimer;

  TcpConnection(Vertx vertx, NetSocket socket, SessionTable table, TcpOptions options, DeviceAuth auth) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.socket = socket;
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.remote = socket.remoteAddress().hostAddress() + ":" + socket.remoteAddress().port();
    this.parser = RecordParser.newDelimited("\n").maxRecordSize(options.maxFrameBytes());
  }

  /** @param released run once, when the socket has closed (frees the listener's connection slot) */
  void start(Runnable released) {
    parser.handler(this::onLine);
    // The parser reports a line that grows past the maximum before its newline arrives; onLine checks a
    // long line that arrived whole.
    parser.exceptionHandler(e -> fail(tooLarge()));
    socket.handler(parser);
    socket.closeHandler(v -> {
      released.run();
      onSocketClosed();
    });
    socket.exceptionHandler(e -> log.debug("tcp_socket_error remote={} error={}", remote, e.toString()));
    handshakeTimer = vertx.setTimer(options.handshakeTimeoutMs(), id -> onHandshakeTimeout());
  }

  private void onLine(Buffer line) {
    if (state == State.CLOSED) {
      return;
    }
    if (line.length() > 0 && line.getByte(line.length() - 1) == '\r') {
      line = line.getBuffer(0, line.length() - 1);
    }
    if (line.length() == 0) {
      return;
    }
    if (line.length() > options.maxFrameBytes()) {
      fail(tooLarge());
      return;
    }
    try {
      JsonObject frame = Frames.parse(line);
      if (state == State.AWAITING_HELLO) {
        onHello(frame);
      } else {
        onFrame(frame);
      }
    } catch (FrameException e) {
      fail(e);
    }
  }

  private void onHello(JsonObject frame) throws FrameException {
    if (!Frames.HELLO.equals(Frames.type(frame))) {
      throw new FrameException(Frames.PROTOCOL_ERROR, "the first frame must be a hello");
    }
    Frames.Hello hello = Frames.hello(frame);
    claimedDevice = hello.deviceId();
    if (!auth.verify(hello.deviceId(), hello.token())) {
      throw new FrameException(Frames.AUTH_FAILED, "token does not authenticate device " + hello.deviceId());
    }
    vertx.cancelTimer(handshakeTimer);
    state = State.OPENING;
    parser.pause();
    table.open(new OpenRequest(hello.deviceId(), "tcp", remote, hello.heartbeatMs(), null, this::ended))
        .onComplete(opened -> context.runOnContext(v -> {
          if (opened.succeeded()) {
            onOpened(opened.result());
          } else {
            fail(new FrameException("unavailable", "the session could not be opened, try again"));
          }
        }));
  }

  private void onOpened(Session opened) {
    session = opened;
    if (state == State.CLOSED) {
      table.close(opened, CloseReason.CONNECTION_LOST);
      return;
    }
    state = State.OPEN;
    write(Frames.welcome(opened));
    parser.resume();
  }

  private void onFrame(JsonObject frame) throws FrameException {
    switch (Frames.type(frame)) {
      case Frames.PING -> handlePing(frame);
      case Frames.DATA -> handleData(frame);
      case Frames.BYE -> handleBye();
      case Frames.HELLO -> throw new FrameException(Frames.PROTOCOL_ERROR, "hello was already received");
      default -> throw new FrameException(Frames.PROTOCOL_ERROR, "unknown frame type " + Frames.type(frame));
    }
  }

  private void handlePing(JsonObject frame) throws FrameException {
    JsonObject status = Frames.status(frame);
    if (status == null) {
      table.touch(session);
    } else {
      table.touch(session, status);
    }
    socket.write(Frames.pong().copy().appendByte((byte) '\n'));
  }

  private void handleData(JsonObject frame) {
    table.touch(session);
    table.inbound(session, null, frame.getValue("payload"));
  }

  private void handleBye() {
    table.close(session, CloseReason.CLIENT_CLOSED);
  }

  /** Bad input: tell the device, then end the session (or, before it exists, report the rejection). */
  private void fail(FrameException e) {
    if (state == State.CLOSED) {
      return;
    }
    write(Frames.error(e));
    if (state == State.OPEN) {
      table.close(session, CloseReason.PROTOCOL_ERROR);
      parser.pause();
      return;
    }
    table.reject(new Rejection("tcp", remote, claimedDevice, e.code(), e.getMessage()));
    closeSocket();
  }

  private FrameException tooLarge() {
    return new FrameException(Frames.FRAME_TOO_LARGE, "frame longer than " + options.maxFrameBytes() + " bytes");
  }

  private void onHandshakeTimeout() {
    if (state == State.AWAITING_HELLO) {
      fail(new FrameException(Frames.HANDSHAKE_TIMEOUT,
          "no hello within " + options.handshakeTimeoutMs() + " ms"));
    }
  }

  private void onSocketClosed() {
    vertx.cancelTimer(handshakeTimer);
    if (state == State.OPEN) {
      table.close(session, CloseReason.CONNECTION_LOST);
    }
    state = State.CLOSED;
  }

  /** Called by the table, once, after the session's close event is out. */
  private void ended(Session ended, CloseReason reason) {
    context.runOnContext(v -> {
      if (reason.byBroker()) {
        write(Frames.bye(reason));
      }
      closeSocket();
    });
  }

  private void closeSocket() {
    state = State.CLOSED;
    socket.close();
  }

  private void write(JsonObject frame) {
    socket.write(frame.toBuffer().appendByte((byte) '\n'));
  }
}

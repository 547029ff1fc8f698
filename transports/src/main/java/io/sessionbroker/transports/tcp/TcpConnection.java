package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.EndsByCode;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.link.Link;
import io.sessionbroker.transports.link.PeerAddress;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device connection over raw TCP: JSON lines in, JSON lines out. Lives on the socket's event
 * loop; its life (hello deadline, open, the one close) is its {@link Link}'s. Once open, every
 * frame proves liveness. Its last words are a line, encoded: an {@code error}, or the {@code bye}
 * of a session the broker ended.
 */
final class TcpConnection implements Link.Wire<Buffer> {

  private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

  /**
   * The {@code bye} line of each reason the broker ends a session for, encoded once: a mass close
   * says the same few bytes to every device, and building the frame and encoding it with Jackson
   * per close was among the largest of what an end allocated on its loop (issue 17;
   * docs/benchmarks.md, "Cost of one session end, tenth round"). One buffer serves every socket on
   * every loop: Vert.x writes a slice of it ({@code BufferImpl.getByteBuf}: own indexes, never
   * released, so a buffer can be written any number of times); nothing else touches it. Not wrapped
   * read-only: Netty's read-only buffer cost ~260 B more per close than the bytes it guards (the
   * slices and NIO views of each write; JFR, same section).
   */
  private static final Map<CloseReason, Buffer> BYES =
      EndsByCode.of(
          CloseReason.class, reason -> reason.byBroker() ? line(Frames.goodbye(reason)) : null);

  /** The answer to every {@code ping}: one line for every socket, as {@link #BYES}. */
  private static final Buffer PONG_LINE = Frames.pong().copy().appendByte((byte) '\n');

  private final NetSocket socket;
  private final SessionTable table;
  private final TcpOptions options;
  private final DeviceAuth auth;
  private final LineSplitter lines;
  private final Link<Buffer> link;
  private final Context context;

  /**
   * The device a valid hello named, for a rejection after it (auth_failed, a refused open); null
   * before.
   */
  private String claimedDevice;

  /** The transport's count of heartbeats, for its metrics. */
  private final LongAdder heartbeats;

  /** Bytes received since the last newline: the line still on its way. */
  private int partialLine;

  TcpConnection(
      Context context,
      NetSocket socket,
      SessionTable table,
      TcpOptions options,
      DeviceAuth auth,
      LongAdder heartbeats) {
    this.heartbeats = heartbeats;
    this.socket = socket;
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.context = context;
    this.lines = new LineSplitter(this::onLine);
    this.link = new Link<>(table, TransportName.TCP, context, this);
  }

  /**
   * @param released run once, when the socket has closed (frees the listener's connection slot)
   */
  void start(Runnable released) {
    socket.handler(this::onBytes);
    socket.closeHandler(
        v -> {
          released.run();
          link.socketClosed(CloseReason.CONNECTION_LOST);
        });
    socket.exceptionHandler(
        e -> log.debug("tcp_socket_error remote={} error={}", link.remote(), e.toString()));
    link.awaitHello(
        options.handshakeTimeoutMs(),
        () ->
            fail(
                new FrameException(
                    Frames.HANDSHAKE_TIMEOUT,
                    "no hello within " + options.handshakeTimeoutMs() + " ms")));
  }

  /**
   * Bounds the line on its way before the splitter holds it: a line that grows past the maximum
   * before its newline arrives is refused at once; {@link #onLine} checks a long line that arrived
   * whole. Not a bound on all bytes held (as Vert.x RecordParser's {@code maxRecordSize} was): that
   * refused valid input — the CR of a CRLF line of exactly the maximum when the LF came in a later
   * read, and the whole lines a device sends right behind its hello, held while the session opens.
   */
  private void onBytes(Buffer bytes) {
    if (link.state() == Link.State.CLOSING || link.state() == Link.State.CLOSED) {
      return;
    }
    int last = bytes.length() - 1;
    while (last >= 0 && bytes.getByte(last) != '\n') {
      last--;
    }
    partialLine = last < 0 ? partialLine + bytes.length() : bytes.length() - 1 - last;
    if (partialLine > options.maxFrameBytes() + 1) { // + 1: the CR of a CRLF line
      fail(tooLarge());
      return;
    }
    lines.handle(bytes);
  }

  private void onLine(Buffer line) {
    if (!link.reading()) {
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
      if (link.state() == Link.State.AWAITING_HELLO) {
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
    String certified = auth.certifiedDeviceId();
    Frames.Hello hello = Frames.hello(frame, certified != null).identified(certified);
    claimedDevice = hello.deviceId();
    link.checking();
    auth.check(context, hello.deviceId(), hello.user(), hello.credential())
        .onComplete(checked -> onChecked(hello, checked));
  }

  /** The hello's credentials are checked: open, or refuse after the failure delay. */
  private void onChecked(Frames.Hello hello, AsyncResult<DeviceAuth.Verdict> checked) {
    if (link.state() != Link.State.CHECKING) {
      return; // the hello deadline or the socket's loss came first
    }
    DeviceAuth.Verdict verdict = DeviceAuth.Verdict.of(checked);
    if (verdict.accepted()) {
      link.open(hello.deviceId(), hello.heartbeatMs(), null);
      return;
    }
    link.refuse(
        Frames.AUTH_FAILED,
        verdict.message(),
        hello.deviceId(),
        line(
            Frames.error(
                Frames.AUTH_FAILED,
                "the credentials do not authenticate device " + hello.deviceId())),
        verdict.delayMs(),
        verdict.report());
  }

  private void onFrame(JsonObject frame) throws FrameException {
    switch (Frames.type(frame)) {
      case Frames.PING -> handlePing(frame);
      case Frames.DATA -> handleData(frame);
      case Frames.BYE -> link.close(CloseReason.CLIENT_CLOSED, null);
      case Frames.REPLY -> handleReply(frame);
      case Frames.HELLO ->
          throw new FrameException(Frames.PROTOCOL_ERROR, "hello was already received");
      default ->
          throw new FrameException(
              Frames.PROTOCOL_ERROR, "unknown frame type " + Frames.type(frame));
    }
  }

  private void handlePing(JsonObject frame) throws FrameException {
    heartbeats.increment();
    JsonObject status = Frames.status(frame);
    if (status == null) {
      table.touch(link.session());
    } else {
      table.touch(link.session(), status);
    }
    socket.write(Frames.pong().copy().appendByte((byte) '\n'));
  }

  /** A device's answer to a command: also proof of life. */
  private void handleReply(JsonObject frame) throws FrameException {
    Frames.Reply reply = Frames.reply(frame);
    table.reply(link.session(), reply.id(), reply.reply());
  }

  private void handleData(JsonObject frame) {
    table.touch(link.session());
    table.inbound(link.session(), null, frame.getValue("payload"));
  }

  /**
   * Bad input: tell the device; it ends the session, or, before there is one, is the connection's
   * rejection.
   */
  private void fail(FrameException e) {
    if (link.state() == Link.State.OPEN) {
      link.close(CloseReason.PROTOCOL_ERROR, line(Frames.error(e)));
    } else {
      link.reject(e.code(), e.getMessage(), claimedDevice, line(Frames.error(e)));
    }
  }

  private FrameException tooLarge() {
    return new FrameException(
        Frames.FRAME_TOO_LARGE, "frame longer than " + options.maxFrameBytes() + " bytes");
  }

  /**
   * Until the session is open, the lines already read wait in the splitter, and the socket stops
   * reading, so that what waits is bounded.
   */
  @Override
  public void pause() {
    lines.pause();
    socket.pause();
  }

  @Override
  public void opened(Session session) {
    write(Frames.welcome(session));
    lines.resume();
    socket.resume();
  }

  @Override
  public void command(DeviceCommand command) {
    write(command.frame());
  }

  @Override
  public String remote() {
    return PeerAddress.of(((NetSocketInternal) socket).channelHandlerContext().channel());
  }

  @Override
  public Buffer goodbye(CloseReason reason) {
    return byeLine(reason);
  }

  @Override
  public Buffer unavailable() {
    return line(Frames.error(Frames.UNAVAILABLE, Frames.UNAVAILABLE_MESSAGE));
  }

  @Override
  public Buffer banned() {
    return line(Frames.error(Frames.FLAPPING, Frames.FLAPPING_MESSAGE));
  }

  @Override
  public void close(Buffer lastLine) {
    if (lastLine != null) {
      socket.write(lastLine);
    }
    socket.close();
  }

  private void write(JsonObject frame) {
    socket.write(line(frame));
  }

  /** A frame as the line the device reads: its JSON and a newline. */
  static Buffer line(JsonObject frame) {
    return frame.toBuffer().appendByte((byte) '\n');
  }

  /**
   * {@link Frames#goodbye} as the line written for {@code reason}: the same buffer every time
   * ({@link #BYES}); null when the broker did not end the session (nothing to say).
   */
  static Buffer byeLine(CloseReason reason) {
    return BYES.get(reason);
  }
}

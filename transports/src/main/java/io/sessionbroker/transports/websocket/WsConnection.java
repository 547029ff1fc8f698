package io.sessionbroker.transports.websocket;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.OutboundQueues;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.sessionbroker.transports.link.Link;
import io.sessionbroker.transports.link.PeerAddress;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgraded WebSocket: waits for the {@code hello} (in the upgrade request or as the first
 * frame), opens the session, maps every frame and pong to {@code touch}, pings the device, and
 * turns the end of the session into a last frame and a close code ({@link WsEnd}, {@link
 * CloseCodes}).
 *
 * <p>Threading: every handler runs on the event loop of the connection ({@code context}); its life
 * (hello deadline, open, the one close, the table's callback) is its {@link Link}'s, so the first
 * terminal event wins. Eviction is the table's wheel; the only timer here is the ping period.
 */
final class WsConnection implements Link.Wire<WsEnd>, WsFrameReader.Listener, Runnable {

  private static final Logger log = LoggerFactory.getLogger(WsConnection.class);
  private static final Buffer PING_PAYLOAD = Buffer.buffer();

  private final ServerWebSocket ws;

  /** The transport's count of heartbeats, for its metrics. */
  private final LongAdder heartbeats;

  private final SessionTable table;
  private final WsOptions options;
  private final DeviceAuth auth;
  private final Context context;
  private final Link<WsEnd> link;

  /**
   * What the socket received and the session cannot take yet, until it opens ({@link FrameGate});
   * null once open (nothing pauses an open session).
   */
  private FrameGate gate;

  /**
   * The broker's pings, on the channel's event loop: a Netty task (64 bytes), not a Vert.x timer
   * (issue 17: its handler, its entries in Vert.x's timer map and the context's close hooks and the
   * lambda were ≈ 150 bytes more per WebSocket session); null while none runs.
   */
  private ScheduledFuture<?> pings;

  WsConnection(
      ServerWebSocket ws,
      SessionTable table,
      WsOptions options,
      DeviceAuth auth,
      Context context,
      LongAdder heartbeats) {
    this.heartbeats = heartbeats;
    this.ws = ws;
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.context = context;
    this.link = new Link<>(table, TransportName.WEBSOCKET, context, this);
    this.gate = FrameGate.of(((WebSocketInternal) ws).channelHandlerContext().pipeline());
  }

  /** Installs the handlers; opens at once when the upgrade request carried the hello. */
  void start() {
    WsFrameReader.attach(ws, options.maxFrameBytes(), this);
    ws.closeHandler(v -> onSocketClosed());
    Frames.Hello hello;
    try {
      hello = UpgradeHello.parse(ws.query(), ws.headers());
      // read once: the session keeps no copy of the headers or of the request line (issue 17)
      OutboundQueues.forgetHeaders(ws);
      OutboundQueues.forgetRequestLine(ws, options.path());
    } catch (FrameException e) {
      reject(e, null, CloseCodes.POLICY_VIOLATION);
      return;
    }
    if (hello != null) {
      onHello(hello);
    } else {
      link.awaitHello(
          options.handshakeTimeoutMs(),
          () ->
              reject(
                  new FrameException(
                      Frames.HANDSHAKE_TIMEOUT,
                      "no hello within " + options.handshakeTimeoutMs() + " ms"),
                  null,
                  CloseCodes.POLICY_VIOLATION));
      gate.pass(); // frames that came with the upgrade request may hold the hello
    }
  }

  @Override
  public void onMessage(Buffer bytes) {
    if (!link.reading()) {
      return;
    }
    try {
      JsonObject frame = Frames.parse(bytes);
      if (link.state() == Link.State.AWAITING_HELLO) {
        onFirstFrame(frame);
      } else {
        dispatch(frame);
      }
    } catch (FrameException e) {
      fail(e, CloseCodes.PROTOCOL_ERROR);
    }
  }

  private void onFirstFrame(JsonObject frame) throws FrameException {
    if (!Frames.HELLO.equals(Frames.type(frame))) {
      throw new FrameException(Frames.PROTOCOL_ERROR, "the first frame must be a hello");
    }
    String certified = auth.certifiedDeviceId();
    onHello(Frames.hello(frame, certified != null).identified(certified));
  }

  /** DESIGN §6: after the welcome every frame is proof of life, whatever its type. */
  private void dispatch(JsonObject frame) throws FrameException {
    Session session = link.session();
    table.touch(session);
    switch (Frames.type(frame)) {
      case Frames.PING -> handlePing(session, frame);
      case Frames.DATA -> handleData(session, frame);
      case Frames.BYE ->
          link.close(CloseReason.CLIENT_CLOSED, null); // the table's close answers with 1000
      case Frames.PONG -> {} // a device answering an application ping: liveness only
      case Frames.REPLY -> handleReply(session, frame);
      case Frames.HELLO ->
          throw new FrameException(Frames.PROTOCOL_ERROR, "hello was already accepted");
      default ->
          throw new FrameException(
              Frames.PROTOCOL_ERROR, "unknown frame type " + Frames.type(frame));
    }
  }

  private void handlePing(Session session, JsonObject frame) throws FrameException {
    heartbeats.increment();
    JsonObject status = Frames.status(frame);
    if (status != null) {
      table.touch(session, status);
    }
    ws.writeTextMessage(Frames.pongText());
  }

  /** A device's answer to a command (already touched as proof of life). */
  private void handleReply(Session session, JsonObject frame) throws FrameException {
    Frames.Reply reply = Frames.reply(frame);
    table.reply(session, reply.id(), reply.reply());
  }

  private void handleData(Session session, JsonObject frame) {
    Object topic = frame.getValue("topic");
    table.inbound(session, topic instanceof String name ? name : null, frame.getValue("payload"));
  }

  /**
   * A protocol pong, or any frame: proof of life. Before the session opens there is nothing to
   * touch.
   */
  @Override
  public void onPong() {
    if (link.state() == Link.State.OPEN) {
      heartbeats.increment();
      table.touch(link.session());
    }
  }

  private void onHello(Frames.Hello hello) {
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
    if (!verdict.accepted()) {
      FrameException refusal =
          new FrameException(
              Frames.AUTH_FAILED, "the credentials do not authenticate " + hello.deviceId());
      link.refuse(
          Frames.AUTH_FAILED,
          verdict.message(),
          hello.deviceId(),
          end(refusal, CloseCodes.POLICY_VIOLATION),
          verdict.delayMs(),
          verdict.report());
      return;
    }
    // The broker's pings prove liveness on a WebSocket, so "no heartbeat" (0) takes the default
    // instead of
    // leaving the session without a deadline.
    link.open(hello.deviceId(), hello.heartbeatMs() == 0 ? -1 : hello.heartbeatMs(), null);
  }

  @Override
  public void onViolation(FrameException violation, short closeCode) {
    fail(violation, closeCode);
  }

  /**
   * Bad input: before the session it is a rejection, after it a close. A frame RFC 6455 forbids
   * fails the connection with its own code (1002, 1007) either way; bad JSON before the hello is a
   * handshake refusal (1008), after it the broker's protocol error (4003).
   */
  private void fail(FrameException e, short closeCode) {
    if (link.state() != Link.State.OPEN) {
      reject(
          e,
          null,
          closeCode == CloseCodes.PROTOCOL_ERROR ? CloseCodes.POLICY_VIOLATION : closeCode);
      return;
    }
    log.debug(
        "ws_protocol_error device={} code={} remote={}",
        link.session().deviceId(),
        e.code(),
        link.remote());
    link.close(CloseReason.PROTOCOL_ERROR, end(e, closeCode));
  }

  private void reject(FrameException e, String deviceId, short closeCode) {
    link.reject(e.code(), e.getMessage(), deviceId, end(e, closeCode));
  }

  /**
   * The {@code error} frame and the close, or, for a connection failed at the frame layer (RFC 6455
   * §7.1.7), the close frame alone: its reason text names the error code.
   */
  private static WsEnd end(FrameException e, short closeCode) {
    return CloseCodes.failsConnection(closeCode)
        ? new WsEnd(null, closeCode, e.code())
        : new WsEnd(Frames.error(e), closeCode);
  }

  /** Frames sent after the hello wait until the session exists. */
  @Override
  public void pause() {
    gate.hold();
  }

  @Override
  public void opened(Session session) {
    ws.writeTextMessage(Frames.welcome(session).encode());
    long pingPeriodMs = options.pingPeriodMs(session.heartbeatMs());
    if (pingPeriodMs > 0) {
      pings =
          ((WebSocketInternal) ws)
              .channelHandlerContext()
              .executor()
              .scheduleAtFixedRate(this, pingPeriodMs, pingPeriodMs, TimeUnit.MILLISECONDS);
    }
    FrameGate held = gate;
    gate = null;
    held.leave();
    log.debug(
        "ws_session_opened device={} session={} remote={}",
        session.deviceId(),
        session.sessionId(),
        link.remote());
  }

  @Override
  public void command(DeviceCommand command) {
    ws.writeTextMessage(command.frame().encode());
  }

  @Override
  public String remote() {
    return PeerAddress.of(((WebSocketInternal) ws).channelHandlerContext().channel());
  }

  @Override
  public WsEnd goodbye(CloseReason reason) {
    return WsEnd.goodbye(reason);
  }

  @Override
  public WsEnd unavailable() {
    return new WsEnd(
        Frames.error(Frames.UNAVAILABLE, Frames.UNAVAILABLE_MESSAGE), CloseCodes.INTERNAL_ERROR);
  }

  /**
   * RFC 6455 §7.4.1, 1008 policy violation, as for any refused hello: a device banned for flapping
   * is refused by the broker's policy; the {@code error} frame before it says which.
   */
  @Override
  public WsEnd banned() {
    return new WsEnd(
        Frames.error(Frames.FLAPPING, Frames.FLAPPING_MESSAGE), CloseCodes.POLICY_VIOLATION);
  }

  /** Sends the last frame if any, then the close frame. */
  @Override
  public void close(WsEnd end) {
    cancelPings();
    if (end.lastFrame() != null) {
      ws.writeTextMessage(end.lastFrame());
    }
    ws.close(end.closeCode(), end.reasonText());
  }

  /**
   * RFC 6455 §7.1.5: a close frame from the device carries a status; a socket dropped without one
   * is "1006" (Vert.x reports 1006, or no code at all).
   */
  private void onSocketClosed() {
    cancelPings();
    Short code = ws.closeStatusCode();
    boolean closeFrame = code != null && code != CloseCodes.ABNORMAL;
    if (link.state() == Link.State.OPEN) {
      log.debug(
          "ws_socket_closed device={} code={} remote={}",
          link.session().deviceId(),
          code,
          link.remote());
    }
    link.socketClosed(closeFrame ? CloseReason.CLIENT_CLOSED : CloseReason.CONNECTION_LOST);
  }

  /** One ping of the period, on the channel's event loop (a closed WebSocket writes nothing). */
  @Override
  public void run() {
    ws.writePing(PING_PAYLOAD);
  }

  /** On the event loop: Netty takes the task out of its queue at once. */
  private void cancelPings() {
    if (pings != null) {
      pings.cancel(false);
      pings = null;
    }
  }
}

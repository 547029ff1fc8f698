package io.sessionbroker.transports.websocket;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgraded WebSocket: waits for the {@code hello} (in the upgrade request or as the first frame), opens the
 * session, maps every frame and pong to {@code touch}, pings the device, and turns the end of the session into
 * a {@code bye} and a close code ({@link CloseCodes}).
 *
 * <p>Threading: every handler runs on the transport verticle's event loop ({@code context}); the session table
 * calls {@link #closed} on its own thread, which hops back to {@code context}. The connection's state is
 * therefore confined to one thread and the first terminal event wins: whatever arrives after {@code ENDED} is
 * ignored. Eviction is the table's wheel; the only timers here are the handshake deadline and the ping period.
 */
final class WsConnection implements Connection, WsFrameReader.Listener {

  private static final Logger log = LoggerFactory.getLogger(WsConnection.class);
  private static final Buffer PING_PAYLOAD = Buffer.buffer();

  private enum State { AWAITING_HELLO, OPENING, OPEN, ENDED }

  private final ServerWebSocket ws;
  private final SessionTable table;
  private final WsOptions options;
  private final DeviceAuth auth;
  private final Context context;
  private final String remote;
  private State state = State.AWAITING_HELLO;
  private Session session;
  private long handshakeTimer = -1;
  private long pingTimer = -1;

  WsConnection(ServerWebSocket ws, SessionTable table, WsOptions options, DeviceAuth auth, Context context) {
    this.ws = ws;
    this.table = table;
    this.options = options;
    this.auth = auth;
    this.context = context;
    this.remote = ws.remoteAddress().host() + ":" + ws.remoteAddress().port();
  }

  /** Installs the handlers; opens at once when the upgrade request carried the hello. */
  void start() {
    WsFrameReader.attach(ws, options.maxFrameBytes(), this);
    ws.closeHandler(v -> onSocketClosed());
    Frames.Hello hello;
    try {
      hello = UpgradeHello.parse(ws.query(), ws.headers());
    } catch (FrameException e) {
      reject(e.code(), e.getMessage(), null, CloseCodes.POLICY_VIOLATION);
      return;
    }
    if (hello != null) {
      onHello(hello);
    } else {
      handshakeTimer = context.owner().setTimer(options.handshakeTimeoutMs(), id -> onHandshakeTimeout());
    }
  }

  @Override
  public void onMessage(Buffer bytes) {
    if (state == State.ENDED) {
      return;
    }
    try {
      JsonObject frame = Frames.parse(bytes);
      if (state == State.AWAITING_HELLO) {
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
    onHello(Frames.hello(frame));
  }

  /** DESIGN §6: after the welcome every frame is proof of life, whatever its type. */
  private void dispatch(JsonObject frame) throws FrameException {
    table.touch(session);
    switch (Frames.type(frame)) {
      case Frames.PING -> handlePing(frame);
      case Frames.DATA -> handleData(frame);
      case Frames.BYE -> handleBye();
      case Frames.PONG -> { } // a device answering an application ping: liveness only
      case Frames.HELLO -> throw new FrameException(Frames.PROTOCOL_ERROR, "hello was already accepted");
      default -> throw new FrameException(Frames.PROTOCOL_ERROR, "unknown frame type " + Frames.type(frame));
    }
  }

  private void handlePing(JsonObject frame) throws FrameException {
    JsonObject status = Frames.status(frame);
    if (status != null) {
      table.touch(session, status);
    }
    ws.writeTextMessage(Frames.pong().toString());
  }

  private void handleData(JsonObject frame) {
    Object topic = frame.getValue("topic");
    table.inbound(session, topic instanceof String name ? name : null, frame.getValue("payload"));
  }

  /** The table calls {@link #closed} with {@code CLIENT_CLOSED}, which answers with close code 1000. */
  private void handleBye() {
    table.close(session, CloseReason.CLIENT_CLOSED);
  }

  /** A protocol pong, or any frame: proof of life. Before the session opens there is nothing to touch. */
  @Override
  public void onPong() {
    if (state == State.OPEN) {
      table.touch(session);
    }
  }

  private void onHello(Frames.Hello hello) {
    if (!auth.verify(hello.deviceId(), hello.token())) {
      reject(Frames.AUTH_FAILED, "the token does not authenticate " + hello.deviceId(), hello.deviceId(),
          CloseCodes.POLICY_VIOLATION);
      return;
    }
    cancelHandshakeTimer();
    state = State.OPENING;
    ws.pause(); // frames sent before the welcome wait until the session exists
    // The broker's pings prove liveness on a WebSocket, so "no heartbeat" (0) takes the default instead of
    // leaving the session without a deadline.
    long heartbeatMs = hello.heartbeatMs() == 0 ? -1 : hello.heartbeatMs();
    table.open(new OpenRequest(hello.deviceId(), WebSocketTransport.TRANSPORT, remote, heartbeatMs, null, this))
        .onComplete(result -> context.runOnContext(v -> onOpened(hello.deviceId(), result)));
  }

  private void onOpened(String deviceId, AsyncResult<Session> result) {
    if (result.failed()) {
      reject("open_failed", "the broker could not open the session", deviceId, CloseCodes.INTERNAL_ERROR);
      return;
    }
    session = result.result();
    if (state == State.ENDED) {
      table.close(session, CloseReason.CONNECTION_LOST); // the socket went away while the claim was in flight
      return;
    }
    state = State.OPEN;
    ws.writeTextMessage(Frames.welcome(session).encode());
    long pingPeriodMs = options.pingPeriodMs(session.heartbeatMs());
    if (pingPeriodMs > 0) {
      pingTimer = context.owner().setPeriodic(pingPeriodMs, id -> ws.writePing(PING_PAYLOAD));
    }
    ws.resume();
    log.debug("ws_session_opened device={} session={} remote={}", session.deviceId(), session.sessionId(), remote);
  }

  private void onHandshakeTimeout() {
    handshakeTimer = -1;
    if (state == State.AWAITING_HELLO) {
      reject(Frames.HANDSHAKE_TIMEOUT, "no hello within " + options.handshakeTimeoutMs() + " ms", null,
          CloseCodes.POLICY_VIOLATION);
    }
  }

  @Override
  public void onViolation(FrameException violation, short closeCode) {
    if (state != State.ENDED) {
      fail(violation, closeCode);
    }
  }

  /** Bad input: before the session it is a rejection (1008 unless a more precise code applies), after it a close. */
  private void fail(FrameException e, short closeCode) {
    if (state != State.OPEN) {
      reject(e.code(), e.getMessage(), null, closeCode == CloseCodes.PROTOCOL_ERROR
          ? CloseCodes.POLICY_VIOLATION : closeCode);
      return;
    }
    log.debug("ws_protocol_error device={} code={} remote={}", session.deviceId(), e.code(), remote);
    end(Frames.error(e), closeCode);
    table.close(session, CloseReason.PROTOCOL_ERROR);
  }

  private void reject(String code, String message, String deviceId, short closeCode) {
    log.debug("ws_rejected code={} device={} remote={}", code, deviceId, remote);
    end(Frames.error(code, message), closeCode);
    table.reject(new Rejection(WebSocketTransport.TRANSPORT, remote, deviceId, code, message));
  }

  /** Table thread: hands the end of the session to the event loop. */
  @Override
  public void closed(Session closedSession, CloseReason reason) {
    context.runOnContext(v -> onSessionClosed(reason));
  }

  private void onSessionClosed(CloseReason reason) {
    if (state != State.ENDED) {
      end(reason.byBroker() ? Frames.bye(reason) : null, CloseCodes.of(reason));
    }
  }

  /** The one place that closes the socket: sends the last frame if any, then the close frame. */
  private void end(JsonObject lastFrame, short closeCode) {
    state = State.ENDED;
    cancelTimers();
    if (lastFrame != null) {
      ws.writeTextMessage(lastFrame.encode());
    }
    ws.close(closeCode, lastFrame == null ? null : lastFrame.getString("reason", lastFrame.getString("code")));
  }

  /**
   * RFC 6455 §7.1.5: a close frame from the device carries a status; a socket dropped without one is "1006"
   * (Vert.x reports 1006, or no code at all).
   */
  private void onSocketClosed() {
    State was = state;
    state = State.ENDED;
    cancelTimers();
    if (was == State.OPEN) {
      Short code = ws.closeStatusCode();
      boolean closeFrame = code != null && code != CloseCodes.ABNORMAL;
      log.debug("ws_socket_closed device={} code={} remote={}", session.deviceId(), code, remote);
      table.close(session, closeFrame ? CloseReason.CLIENT_CLOSED : CloseReason.CONNECTION_LOST);
    }
  }

  private void cancelTimers() {
    cancelHandshakeTimer();
    if (pingTimer >= 0) {
      context.owner().cancelTimer(pingTimer);
      pingTimer = -1;
    }
  }

  private void cancelHandshakeTimer() {
    if (handshakeTimer >= 0) {
      context.owner().cancelTimer(handshakeTimer);
      handshakeTimer = -1;
    }
  }
}

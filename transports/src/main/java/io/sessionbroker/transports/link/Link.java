package io.sessionbroker.transports.link;

import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Connection;
import io.sessionbroker.cluster.DeviceBanned;
import io.sessionbroker.cluster.DeviceCommand;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Rejection;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one device connection on a connection transport (raw TCP, WebSocket, MQTT): hello,
 * authenticate, open, welcome, then one end. The transport parses its protocol and keeps its
 * handshake specifics; the link keeps the state, talks to the session table, and decides who ends
 * the connection and how.
 *
 * <p>States: {@code AWAITING_HELLO} (the hello deadline runs) → {@code CHECKING} (optional: input
 * paused while the credentials are checked off the event loop; the deadline still runs) → {@code
 * OPENING} (input paused until the table has opened the session) → {@code OPEN} → {@code CLOSING}
 * (the device ended its session; the socket waits for the table's close to come back) → {@code
 * CLOSED} (the socket is closed or closing). A hello whose credentials failed goes to {@code
 * REFUSING} instead: its rejection is out, its answer waits for the failure delay ({@link
 * #refuse}). Every terminal cause — a rejection, the device's goodbye or bad input, the socket's
 * loss, the table's close — goes through here, and the first one wins: whatever comes after it
 * changes nothing.
 *
 * <p>Contract. One link per accepted connection. The transport calls every method on the
 * connection's event loop ({@code context}), in this order: {@link #awaitHello} (optional) once;
 * {@link #checking} (optional) once; then either {@link #reject} or {@link #refuse}, or {@link
 * #open} once the hello has authenticated; once open, {@link #close} for an end the device caused;
 * {@link #socketClosed} from the socket's close handler, at any time. The session table calls
 * {@link #closed} on its own thread, once per opened session, after the session's close event is
 * out; the link hops back to {@code context}. The link calls its {@link Wire} on {@code context}
 * only: {@link Wire#pause} once when the hello is accepted, {@link Wire#opened} once if the session
 * opens while the connection lives, {@link Wire#command} for each command the table writes while
 * the session is open, {@link Wire#close} at most once (the one place where the socket closes),
 * {@link Wire#ended} once per opened session. Touching the session per frame ({@link
 * SessionTable#touch}) stays the transport's: it allocates nothing, and the link is not on that
 * path.
 *
 * @param <L> the wire's last words: what it says as it closes (a frame, a close code, an MQTT
 *     packet)
 */
public final class Link<L> implements Connection {

  private static final Logger log = LoggerFactory.getLogger(Link.class);

  /** Where a connection is in its life; see the class comment. */
  public enum State {
    AWAITING_HELLO,
    CHECKING,
    OPENING,
    OPEN,
    CLOSING,
    REFUSING,
    CLOSED
  }

  /**
   * What a transport does on its own wire when the link asks it to. Called on the connection's
   * context.
   */
  public interface Wire<L> {

    /**
     * Stop reading: what the device sends right after its hello waits until the session is open.
     */
    void pause();

    /** The session is open: greet the device (welcome, CONNACK) and read again. */
    void opened(Session session);

    /**
     * The wire's goodbye for a session the table ended for {@code reason} (a bye, a close code,
     * DISCONNECT).
     */
    L goodbye(CloseReason reason);

    /**
     * The wire's answer to a device whose session this node could not open ({@link
     * Frames#UNAVAILABLE}).
     */
    L unavailable();

    /**
     * The wire's answer to a device that is banned for flapping ({@link DeviceBanned}): an {@code
     * error} frame, a close code, a refusing CONNACK.
     */
    L banned();

    /**
     * The one place that closes the socket: says {@code lastWords} first (null: nothing to say).
     */
    void close(L lastWords);

    /** Writes a command to the device (a JSON frame, an MQTT PUBLISH). */
    void command(DeviceCommand command);

    /**
     * The device's address as {@code host:port}, for the session and for rejections; read when
     * asked (from any thread), not kept ({@link PeerAddress}).
     */
    String remote();

    /**
     * After the session's close event, whoever ended it: what the transport keeps or publishes
     * then.
     */
    default void ended(Session session, CloseReason reason) {}

    /**
     * On the session table's thread, as the session ends (once per opened session, before {@link
     * #ended}): for state that must change hands in the table's order, because the table completes
     * the open of the device's next session on this node only after this returns, whatever event
     * loop either connection is on (MQTT: the stored session and the delayed will, {@code
     * MqttLink}). Short and non-blocking, and possibly concurrent with this connection's own
     * context: what it reads from the connection must be safe for that. The rest belongs in {@link
     * #ended}.
     */
    default void closing(Session session, CloseReason reason) {}
  }

  private final SessionTable table;
  private final TransportName transport;
  private final Context context;
  private final Wire<L> wire;
  private State state = State.AWAITING_HELLO;
  private Session session;

  /** Why the session ends when a cause came while it was opening; applied as soon as it opens. */
  private CloseReason pending;

  private long helloTimer = -1;

  public Link(SessionTable table, TransportName transport, Context context, Wire<L> wire) {
    this.table = table;
    this.transport = transport;
    this.context = context;
    this.wire = wire;
  }

  public State state() {
    return state;
  }

  /** Whether the device's input counts: before the hello, and while the session is open. */
  public boolean reading() {
    return state == State.AWAITING_HELLO || state == State.OPEN;
  }

  /** The session once the table has opened it; null before. */
  public Session session() {
    return session;
  }

  /**
   * The device's address as {@code host:port}, from the wire when asked: the session is opened
   * without one ({@link Session#remote()} falls back to this), so no connection keeps a copy.
   */
  @Override
  public String remote() {
    return wire.remote();
  }

  /** The connection's context: the event loop every call to this link is made on. */
  public Context context() {
    return context;
  }

  /** Starts the hello deadline: {@code onTimeout} runs if the link still awaits its hello then. */
  public void awaitHello(long timeoutMs, Runnable onTimeout) {
    helloTimer =
        context
            .owner()
            .setTimer(
                timeoutMs,
                id -> {
                  helloTimer = -1;
                  if (state == State.AWAITING_HELLO || state == State.CHECKING) {
                    onTimeout.run();
                  }
                });
  }

  /**
   * The hello's credentials are being checked off the event loop: what the device sends next waits
   * (the wire pauses) until {@link #open}, {@link #reject} or {@link #refuse}. Once the check
   * completes, go on only if the state is still {@code CHECKING}: the deadline or the socket's loss
   * may have ended the connection meanwhile.
   */
  public void checking() {
    if (state != State.AWAITING_HELLO) {
      throw new IllegalStateException("checking in state " + state);
    }
    state = State.CHECKING;
    wire.pause();
  }

  /** The hello authenticated: pauses the wire and asks the table for the session. */
  public void open(String deviceId, long heartbeatMs, JsonObject will) {
    if (state != State.AWAITING_HELLO && state != State.CHECKING) {
      throw new IllegalStateException("open in state " + state);
    }
    cancelHelloTimer();
    state = State.OPENING;
    wire.pause();
    table
        .open(new OpenRequest(deviceId, transport.id(), null, heartbeatMs, will, this))
        .onComplete(result -> context.runOnContext(v -> onOpenResult(deviceId, result)));
  }

  private void onOpenResult(String deviceId, AsyncResult<Session> result) {
    if (result.failed() && result.cause() instanceof DeviceBanned banned) {
      reject(DeviceBanned.CODE, banned.getMessage(), deviceId, wire.banned());
      return;
    }
    if (result.failed()) {
      // The table's reason goes to the back end; the device gets the wire's fixed answer.
      reject(
          Frames.UNAVAILABLE,
          String.valueOf(result.cause().getMessage()),
          deviceId,
          wire.unavailable());
      return;
    }
    session = result.result();
    if (state == State.OPENING) {
      state = State.OPEN;
      wire.opened(session);
    } else { // a terminal cause came while the claim was in flight: the session ends as soon as it
      // exists
      table.close(session, pending);
    }
  }

  /**
   * The connection does not become a session: announces the rejection and closes with {@code
   * answer}. Ignored once the session is open or the connection has ended.
   *
   * @param deviceId the device the hello named, or null
   * @return whether this was the connection's first terminal cause
   */
  public boolean reject(String code, String message, String deviceId, L answer) {
    if (state != State.AWAITING_HELLO && state != State.CHECKING && state != State.OPENING) {
      return false;
    }
    String remote = remote();
    log.debug(
        "connection_rejected transport={} code={} device={} remote={}",
        transport,
        code,
        deviceId,
        remote);
    if (state == State.OPENING) {
      pending = CloseReason.CONNECTION_LOST;
    }
    table.reject(new Rejection(transport.id(), remote, deviceId, code, message));
    shut(answer);
    return true;
  }

  /**
   * The hello's credentials failed: the rejection is announced now (when {@code report}: the rate
   * limit of failed credentials may hold it back), the device gets {@code answer} only {@code
   * delayMs} later, from a timer (the event loop never waits), so that guessing passwords is slow.
   * Meanwhile the connection reads nothing and the hello deadline is off; if the socket closes
   * first, nothing more happens. Ignored unless the link awaits or checks its hello.
   */
  public void refuse(
      String code, String message, String deviceId, L answer, long delayMs, boolean report) {
    if (state != State.AWAITING_HELLO && state != State.CHECKING) {
      return;
    }
    String remote = remote();
    log.debug(
        "connection_refused transport={} code={} device={} remote={} delayMs={}",
        transport,
        code,
        deviceId,
        remote,
        delayMs);
    cancelHelloTimer();
    if (report) {
      table.reject(new Rejection(transport.id(), remote, deviceId, code, message));
    }
    if (delayMs <= 0) {
      shut(answer);
      return;
    }
    state = State.REFUSING;
    wire.pause();
    context
        .owner()
        .setTimer(
            delayMs,
            id -> {
              if (state == State.REFUSING) {
                shut(answer);
              }
            });
  }

  /**
   * The device ended its session: its own goodbye ({@code CLIENT_CLOSED}, no last words: the socket
   * closes when the table's close comes back) or input the protocol refuses ({@code
   * PROTOCOL_ERROR}, closed at once with {@code lastWords}). Ignored once the connection is ending.
   */
  public void close(CloseReason reason, L lastWords) {
    if (state == State.OPEN) {
      table.close(session, reason);
    } else if (state == State.OPENING) {
      pending = reason;
    } else {
      return;
    }
    state = State.CLOSING;
    if (lastWords != null) {
      shut(lastWords);
    }
  }

  /** The socket has closed; {@code reason} is what its loss means for an open session. */
  public void socketClosed(CloseReason reason) {
    State was = state;
    state = State.CLOSED;
    cancelHelloTimer();
    if (was == State.OPEN) {
      table.close(session, reason);
    } else if (was == State.OPENING) {
      pending = reason;
    }
  }

  /**
   * Table thread: a command for the device; written on the connection's context while the session
   * is open (once it is not, the table's close fails the command with 503).
   */
  @Override
  public boolean command(Session target, DeviceCommand command) {
    context.runOnContext(
        v -> {
          if (state == State.OPEN && session == target) {
            wire.command(command);
          }
        });
    return true;
  }

  /**
   * Table thread: the session has ended; the wire says goodbye on the connection's context, in the
   * loop's next slice of ends ({@link LoopEnds}: a mass close does not keep the loop from reading).
   */
  @Override
  public void closed(Session closed, CloseReason reason) {
    wire.closing(closed, reason);
    LoopEnds.of(context).add(() -> ended(closed, reason));
  }

  private void ended(Session closed, CloseReason reason) {
    if (state != State.CLOSED) {
      shut(wire.goodbye(reason));
    }
    wire.ended(closed, reason);
  }

  private void shut(L lastWords) {
    state = State.CLOSED;
    cancelHelloTimer();
    wire.close(lastWords);
  }

  private void cancelHelloTimer() {
    if (helloTimer >= 0) {
      context.owner().cancelTimer(helloTimer);
      helloTimer = -1;
    }
  }
}

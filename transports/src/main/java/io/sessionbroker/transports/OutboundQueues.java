package io.sessionbroker.transports;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.impl.websocket.ServerWebSocketImpl;
import io.vertx.core.http.impl.websocket.WebSocketImplBase;
import io.vertx.core.internal.concurrent.OutboundMessageQueue;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.core.streams.impl.MessagePassingQueue;
import java.lang.reflect.Field;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shrinks the outbound write queue that Vert.x 5.1 gives every connection from ≈ 4.7 KB to ≈ 50
 * bytes.
 *
 * <p>Why: {@code VertxConnection} (the base of {@code NetSocketImpl} and {@code
 * WebSocketConnectionImpl}) fronts each channel with an {@code OutboundMessageQueue}, whose {@code
 * MessagePassingQueue.MpSc} holds a JCTools {@code MpscUnboundedArrayQueue} from Netty's {@code
 * PlatformDependent.newMpscQueue()}: a padded queue object (576 bytes) and a first chunk of 1,024
 * slots (4,116 bytes), allocated eagerly: more than half of a session's live heap (a WebSocket
 * session has two such connections; docs/benchmarks.md, RSS per session, has the figures before and
 * after). Netty's chunk size is a constant (no system property), and Vert.x offers an option
 * against it only for HTTP connections ({@code HttpServerOptions.setStrictThreadMode}, which the
 * WebSocket transport uses for the upgrade's connection); net sockets and WebSocket connections
 * have none.
 *
 * <p>What: on a freshly accepted connection, still empty and not yet visible to any other thread,
 * the JCTools queue is replaced by a {@link ConcurrentLinkedQueue} (24 bytes plus a 24-byte
 * sentinel node). Nothing else changes: the queue stays multi-producer safe and unbounded, and
 * {@code MessagePassingQueue} keeps its own counters, back-pressure marks and single-element fast
 * path (its {@code overflow} slot), so the inner queue only holds writes that pile up behind an
 * unwritable channel or race in from other threads. It is the only class touching these Vert.x
 * internals; {@code OutboundQueuesTest} fails loudly if an upgrade changes them. Should they
 * change, {@link #slim} logs once and leaves connections as Vert.x built them.
 *
 * <p>It also lets go of what built the connection: a {@code VertxHandler} keeps the factory it
 * called once, when it was added to the pipeline, for the channel's whole life. For a WebSocket
 * that factory is a lambda holding the upgrade's HTTP connection, its request, response and headers
 * and the handshaker: ≈ 2 KB per WebSocket that nothing reads again. {@link #slim} clears the field
 * once the connection exists (issue 17; {@code OutboundQueuesTest} fails if the field goes away,
 * and then connections keep it as before). In the same spirit {@link #forgetHeaders} lets a
 * WebSocket drop the upgrade request's headers it keeps for its whole life (≈ 0.8 KB per WebSocket
 * session: the entries, their strings, the table) once the transport has read its hello from them,
 * and {@link #forgetRequestLine} lets it drop its own copies of the upgrade's request line (≈ 280
 * bytes per WebSocket session: the URI, path and query strings, the {@code Host} header's host).
 */
public final class OutboundQueues {

  private static final Logger log = LoggerFactory.getLogger(OutboundQueues.class);

  private static final Field OUTBOUND;
  private static final Field MQP;
  private static final Field QUEUE;
  private static final Field FACTORY;
  private static final Field ADD_HANDLER;
  private static final String UNAVAILABLE;

  /**
   * {@code ServerWebSocketImpl}'s request-line fields ({@code uri}, {@code path}, {@code query},
   * {@code authority}), null when this Vert.x has other ones: WebSockets then keep them.
   */
  private static final Field[] REQUEST_LINE = requestLineFields();

  /** What a WebSocket answers for its headers once {@link #forgetHeaders} dropped them. */
  private static final MultiMap NO_HEADERS = MultiMap.caseInsensitiveMultiMap().copy(false);

  static {
    Field outbound = null;
    Field mqp = null;
    Field queue = null;
    Field factory = null;
    Field addHandler = null;
    String unavailable = null;
    try {
      outbound = accessible(VertxConnection.class.getDeclaredField("outboundMessageQueue"));
      mqp = accessible(OutboundMessageQueue.class.getDeclaredField("mqp"));
      queue = accessible(MessagePassingQueue.class.getDeclaredField("queue"));
      if (!Queue.class.equals(queue.getType())) {
        throw new NoSuchFieldException("MessagePassingQueue.queue is a " + queue.getType());
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      unavailable = "Vert.x changed its outbound queue internals: " + e;
    }
    try {
      factory = accessible(VertxHandler.class.getDeclaredField("connectionFactory"));
      addHandler = accessible(VertxHandler.class.getDeclaredField("addHandler"));
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("connection_factory_unavailable {} (connections keep it)", e.toString());
    }
    OUTBOUND = outbound;
    MQP = mqp;
    QUEUE = queue;
    FACTORY = factory;
    ADD_HANDLER = addHandler;
    UNAVAILABLE = unavailable;
    if (unavailable != null) {
      log.warn(
          "outbound_queues_unavailable {} (connections keep Vert.x's 4.7 KB queue)", unavailable);
    }
  }

  private OutboundQueues() {}

  /** Null when {@link #slim} works with this Vert.x, else why not. */
  public static String unavailable() {
    return UNAVAILABLE;
  }

  /**
   * Replaces the outbound queue of the Vert.x connection handling {@code chctx}'s channel, releases
   * its handler's connection factory (class comment) and lets the channel share its local address
   * ({@link LocalAddresses}). Call it on the channel's event loop, from the handler that receives
   * the new connection, before anything is written and before the connection is handed to another
   * thread.
   *
   * @return whether the queue was replaced (false: not a Vert.x connection with such a queue, or
   *     not empty)
   */
  public static boolean slim(ChannelHandlerContext chctx) {
    // every transport calls this on a new connection: the place to drop its copy of the listener's
    // address too (LocalAddresses, issue 17)
    LocalAddresses.share(chctx.channel());
    if (!(chctx.handler() instanceof VertxHandler<?> vertxHandler)) {
      return false;
    }
    if (vertxHandler.getConnection() != null && FACTORY != null) {
      forgetFactory(vertxHandler);
    }
    return slim(vertxHandler.getConnection());
  }

  /**
   * Clears the handler's connection factory and its add handler: both ran when the handler was
   * added ({@code handlerAdded}), which is their only use, and the connection they built and
   * announced is the handler's from then on. (A net server's add handler is a lambda holding the
   * server's initializer and metrics: 24 bytes of every TCP and MQTT connection, issue 17.)
   */
  private static void forgetFactory(VertxHandler<?> handler) {
    try {
      FACTORY.set(handler, null);
      if (ADD_HANDLER != null) {
        ADD_HANDLER.set(handler, null);
      }
    } catch (IllegalAccessException | RuntimeException e) {
      log.warn("connection_factory_not_released error={}", e.toString());
    }
  }

  /**
   * Lets {@code ws} drop the upgrade request's headers: {@link WebSocket#headers()} answers an
   * empty, read-only map from then on. Call it once nothing reads them any more (the transport has
   * taken its hello and credentials from them). {@code WebSocketImplBase.headers(MultiMap)} is
   * public on Vert.x's implementation class, not on an interface: a WebSocket of another class
   * keeps its headers.
   */
  public static void forgetHeaders(WebSocket ws) {
    if (ws instanceof WebSocketImplBase<?> base) {
      base.headers(NO_HEADERS);
    }
  }

  /**
   * Lets {@code ws} drop its copies of the upgrade's request line (issue 17: each WebSocket kept
   * its URI, path, query and {@code Host} as strings of its own, ≈ 280 bytes, that nothing reads
   * after the hello): from then on {@link ServerWebSocket#uri()} and {@link ServerWebSocket#path()}
   * answer {@code path}, one string shared by every WebSocket of the listener, and {@link
   * ServerWebSocket#query()} and {@link ServerWebSocket#authority()} answer null (as for a request
   * without them). Call it once nothing reads them any more. Nothing changes when {@code ws}'s path
   * is not {@code path}, or for a WebSocket of another class.
   */
  public static void forgetRequestLine(ServerWebSocket ws, String path) {
    if (REQUEST_LINE == null
        || !(ws instanceof ServerWebSocketImpl impl)
        || !path.equals(ws.path())) {
      return;
    }
    try {
      REQUEST_LINE[0].set(impl, path);
      REQUEST_LINE[1].set(impl, path);
      REQUEST_LINE[2].set(impl, null);
      REQUEST_LINE[3].set(impl, null);
    } catch (IllegalAccessException | RuntimeException e) {
      log.warn("request_line_not_released error={}", e.toString());
    }
  }

  /** Whether {@link #forgetRequestLine} works with this Vert.x (for tests). */
  static boolean requestLineReleasable() {
    return REQUEST_LINE != null;
  }

  private static Field[] requestLineFields() {
    try {
      Field[] fields = {
        accessible(ServerWebSocketImpl.class.getDeclaredField("uri")),
        accessible(ServerWebSocketImpl.class.getDeclaredField("path")),
        accessible(ServerWebSocketImpl.class.getDeclaredField("query")),
        accessible(ServerWebSocketImpl.class.getDeclaredField("authority"))
      };
      return fields;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("request_line_unavailable {} (WebSockets keep it)", e.toString());
      return null;
    }
  }

  /** The handler's connection factory, null once {@link #slim} has released it (for tests). */
  static Object factory(VertxHandler<?> handler) throws IllegalAccessException {
    return FACTORY.get(handler);
  }

  /** The handler's add handler, null once {@link #slim} has released it (for tests). */
  static Object addHandler(VertxHandler<?> handler) throws IllegalAccessException {
    return ADD_HANDLER.get(handler);
  }

  /** As {@link #slim(ChannelHandlerContext)}, given the connection. */
  public static boolean slim(VertxConnection connection) {
    if (UNAVAILABLE != null || connection == null) {
      return false;
    }
    try {
      if (!(OUTBOUND.get(connection) instanceof OutboundMessageQueue<?> outbound)) {
        return false; // e.g. an HTTP connection in strict thread mode: no queue at all
      }
      Object passing = MQP.get(outbound);
      Queue<?> current = (Queue<?>) QUEUE.get(passing);
      if (current instanceof ConcurrentLinkedQueue || !current.isEmpty()) {
        return false;
      }
      QUEUE.set(passing, new ConcurrentLinkedQueue<>());
      return true;
    } catch (IllegalAccessException | RuntimeException e) {
      log.warn(
          "outbound_queue_not_replaced connection={} error={}",
          connection.getClass().getName(),
          e.toString());
      return false;
    }
  }

  /** The queue inside {@code connection}'s outbound queue, or null when it has none (for tests). */
  static Queue<?> innerQueue(VertxConnection connection) throws IllegalAccessException {
    Object outbound = OUTBOUND.get(connection);
    return outbound instanceof OutboundMessageQueue<?>
        ? (Queue<?>) QUEUE.get(MQP.get(outbound))
        : null;
  }

  private static Field accessible(Field field) {
    field.setAccessible(true);
    return field;
  }
}

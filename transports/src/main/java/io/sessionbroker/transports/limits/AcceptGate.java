package io.sessionbroker.transports.limits;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.sessionbroker.transports.limits.ConnectLimits.Refusal;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.impl.tcp.NetServerImpl;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a connect over the {@link ConnectLimits} at the earliest point there is: in the listening
 * socket's own Netty pipeline, as the accepted socket is handed to it, before Vert.x has built the
 * connection — no pipeline, no TLS handler, no handshake, no protocol decoder, no Vert.x socket.
 * The refused socket is closed at once ({@code closeForcibly}, as Netty's own acceptor does with a
 * child it cannot register); the device sees its connection closed before anything is said.
 *
 * <p>Why a reach into Vert.x: its servers give no hook before the TLS handshake. {@code
 * NetServer.connectHandler} runs after it (Vert.x 5.1 adds the {@code SslHandler} in {@code
 * NetServerImpl.NetSocketInitializer.accept}, and calls the handler once the handshake has
 * completed), so a limit there would pay a whole handshake for each refused connect; and {@code
 * HttpServer} and vertx-mqtt's {@code MqttServer} have no earlier hook either. What this class
 * relies on: a Vert.x {@code NetServerImpl} (inside an {@code HttpServer}, behind its {@code
 * CleanableHttpServer} wrapper, or an {@code MqttServer}: a field of type {@code NetServer} or
 * {@code HttpServer}) keeps its bound listening channel in its {@code actualServer}'s {@code
 * bindFuture}. It is the only class that does; {@code AcceptGateTest} fails loudly if an upgrade
 * changes it, and {@link #install} then throws rather than run without the limits.
 */
public final class AcceptGate extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(AcceptGate.class);

  /** The gate's name in a listening socket's pipeline. */
  static final String NAME = "connect-limits";

  private final ConnectLimits limits;
  private final String listener;
  private final LongSupplier nanoTime;

  private AcceptGate(ConnectLimits limits, String listener, LongSupplier nanoTime) {
    this.limits = limits;
    this.listener = listener;
    this.nanoTime = nanoTime;
  }

  /**
   * Puts the gate in front of a listening Vert.x server: a {@code NetServer}, an {@code HttpServer}
   * or an {@code MqttServer}, once it listens. Completes when the gate is active ({@link
   * #addFirst}).
   *
   * @param listener its name in log lines, e.g. {@code "mqtt tls"}
   * @throws IllegalStateException when the server's internals are not what this class expects
   */
  public static CompletableFuture<Void> install(
      Object server, ConnectLimits limits, String listener) {
    return addFirst(server, NAME, new AcceptGate(limits, listener, System::nanoTime));
  }

  /**
   * Adds {@code handler} at the head of a listening server's pipeline, unless one named {@code
   * name} is there already; completes once it sees every socket accepted from then on.
   *
   * <p>Why on the listening socket's own event loop: a handler added from another thread is linked
   * at once, but Netty runs its {@code handlerAdded} later, on that loop, and until then passes
   * every message by it — a device connecting in that moment would be accepted around the handler
   * (seen: {@code SharedReadBuffersIT} missed the first connection twice in CI). Added on the loop,
   * it is active when {@code addFirst} returns.
   *
   * @throws IllegalStateException when the server's internals are not what this class expects
   */
  public static CompletableFuture<Void> addFirst(
      Object server, String name, ChannelHandler handler) {
    Channel channel = listeningChannel(server);
    CompletableFuture<Void> added = new CompletableFuture<>();
    channel
        .eventLoop()
        .execute(
            () -> {
              try {
                if (channel.pipeline().get(name) == null) {
                  channel.pipeline().addFirst(name, handler);
                }
                added.complete(null);
              } catch (RuntimeException e) {
                added.completeExceptionally(e);
              }
            });
    return added;
  }

  /** The accepted socket, on its way to the server's acceptor: admit it or close it. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Channel child)
        || !(child.remoteAddress() instanceof InetSocketAddress remote)) {
      ctx.fireChannelRead(msg);
      return;
    }
    String address = remote.getAddress().getHostAddress();
    long now = nanoTime.getAsLong();
    Refusal refusal = limits.admit(address, true, now);
    if (refusal != null) {
      child.unsafe().closeForcibly();
      long refused = limits.logNow(now);
      if (refused >= 0) {
        log.warn(
            "connect_refused listener={} remote={} reason={} refused_since_last_line={}",
            listener,
            address,
            refusal.code(),
            refused);
      }
      return;
    }
    if (limits.countsConnections()) {
      child.closeFuture().addListener(f -> limits.released(address));
    }
    ctx.fireChannelRead(msg);
  }

  /**
   * The listening Netty channel of a Vert.x server ({@code NetServer}, {@code HttpServer}, {@code
   * MqttServer}); also where {@code SharedReadBuffers} goes.
   */
  public static Channel listeningChannel(Object server) {
    NetServerImpl net = netServer(server, 0);
    try {
      Object actual = field(NetServerImpl.class, "actualServer").get(net);
      Object bound = field(NetServerImpl.class, "bindFuture").get(actual == null ? net : actual);
      if (bound instanceof Future<?> future
          && future.succeeded()
          && future.result() instanceof Channel channel) {
        return channel;
      }
      throw new IllegalStateException("the server is not listening: " + bound);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "Vert.x changed its server internals, the connect limits cannot be installed: " + e, e);
    }
  }

  private static NetServerImpl netServer(Object server, int depth) {
    if (server instanceof NetServerImpl net) {
      return net;
    }
    if (server != null && depth < 3) {
      for (Class<?> type = server.getClass(); type != Object.class; type = type.getSuperclass()) {
        for (Field field : type.getDeclaredFields()) {
          if (NetServer.class.isAssignableFrom(field.getType())
              || HttpServer.class.isAssignableFrom(field.getType())) {
            try {
              field.setAccessible(true);
              return netServer(field.get(server), depth + 1);
            } catch (ReflectiveOperationException | RuntimeException e) {
              throw new IllegalStateException("cannot read " + field + ": " + e, e);
            }
          }
        }
      }
    }
    throw new IllegalStateException(
        "Vert.x changed its server internals: no NetServerImpl inside "
            + (server == null ? "null" : server.getClass().getName()));
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field field = type.getDeclaredField(name);
    field.setAccessible(true);
    return field;
  }
}

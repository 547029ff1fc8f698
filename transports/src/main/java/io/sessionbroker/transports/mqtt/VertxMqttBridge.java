package io.sessionbroker.transports.mqtt;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.impl.MqttServerConnection;
import java.lang.invoke.MethodHandle;

/**
 * Puts vertx-mqtt's protocol engine ({@link MqttServerConnection}: CONNECT parsing, CONNACK, acks,
 * the {@link MqttEndpoint} API) on a socket that this transport accepted itself.
 *
 * <p>Why not {@code MqttServer}: in vertx-mqtt 5.1 it (1) hides a connection until its CONNECT
 * arrives, so a connection that never sends one cannot be reported as {@code sessions.rejected},
 * and (2) hard-wires its own keep-alive: an {@code IdleStateHandler} that silently closes the
 * socket after ceil(1.5 × keep-alive) seconds — there is no option to turn it off — so the close
 * reason would be {@code CONNECTION_LOST} instead of the table's {@code TIMEOUT}, and the deadline
 * would be rounded to whole seconds. This class builds the same pipeline as {@code
 * MqttServerImpl.initChannel}, minus the connect timeout and with Netty's decoder run by {@link
 * MqttFraming} ({@link PacketDecoder}) instead of as a handler of its own, and removes the
 * keep-alive handler after CONNECT. It is the only class that touches vertx-mqtt internals; the
 * integration tests break loudly if an upgrade changes them.
 */
final class VertxMqttBridge {

  /** {@code MqttServerConnection.handleMessage(Object)} is package-private in vertx-mqtt 5.1. */
  private static final MethodHandle HANDLE_MESSAGE =
      NonPublic.method(MqttServerConnection.class, "handleMessage", Object.class);

  /**
   * Names vertx-mqtt removes on CONNECT (its connect timeout) and adds after it (its keep-alive).
   */
  private static final String IDLE = "idle";

  private static final String TIMEOUT_ON_CONNECT = "timeoutOnConnect";

  /**
   * One set of options for every connection: {@code MqttServerConnection} only reads {@code
   * autoClientId} from it, and a copy per connection, with its TCP and SSL option sets, was ≈ 190
   * bytes of every MQTT session's live heap (docs/benchmarks.md, "Memory after issue 17"). Never
   * mutated after this line.
   */
  private static final MqttServerOptions OPTIONS = new MqttServerOptions().setAutoClientId(true);

  private static final String KEEP_ALIVE = "keepAliveHandler";

  private final NetSocketInternal socket;
  private final MqttServerConnection connection;
  private final MqttFraming framing;

  /**
   * @param pings offered each whole PINGREQ before the decoder ({@link Pings#shortWay})
   * @param onConnect called with the endpoint of a CONNECT that vertx-mqtt found well-formed
   * @param onRefused called when vertx-mqtt refused a CONNECT (empty client id without clean
   *     session)
   */
  VertxMqttBridge(
      NetSocketInternal socket,
      int maxMessageBytes,
      Pings pings,
      Handler<MqttEndpoint> onConnect,
      Handler<Throwable> onRefused) {
    this.socket = socket;
    ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
    pipeline.addBefore("handler", "mqttEncoder", MqttEncoder.INSTANCE);
    // MqttFraming bounds every packet and decodes it with Netty's decoder (why: its class Javadoc).
    this.framing = new MqttFraming(maxMessageBytes, pings);
    pipeline.addBefore("handler", "mqttFraming", framing);
    // Placeholders: vertx-mqtt removes these by name on CONNECT; our own connect deadline replaces
    // them.
    pipeline.addBefore("handler", IDLE, new ChannelInboundHandlerAdapter());
    pipeline.addBefore("handler", TIMEOUT_ON_CONNECT, new ChannelInboundHandlerAdapter());
    this.connection = new MqttServerConnection(socket, onConnect, onRefused, OPTIONS);
    socket.eventHandler(ReferenceCountUtil::release);
  }

  /** Hands one decoded packet to vertx-mqtt. */
  void deliver(Object packet) {
    try {
      HANDLE_MESSAGE.invoke(connection, packet);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The protocol level of the connection's CONNECT (3, 4 or 5), 0 before one was read. */
  int protocolLevel() {
    return framing.protocolLevel();
  }

  /**
   * Refuses an MQTT 5 CONNECT that could not be decoded with CONNACK {@code code} (§4.13), then
   * closes. vertx-mqtt has no endpoint for such a CONNECT, and Netty's encoder writes a CONNACK in
   * the MQTT 5 shape only once its decoder has marked the channel MQTT 5 — which a packet refused
   * before decoding never reaches — so the five bytes are written here: CONNACK, Remaining Length
   * 3, Session Present 0, the reason code, no properties (§3.2).
   */
  void refuseUndecodedConnect(MqttConnectReturnCode code) {
    socket.write(Buffer.buffer(new byte[] {0x20, 3, 0, code.byteValue(), 0}));
    socket.close();
  }

  /**
   * After CONNECT: the session table's wheel, not vertx-mqtt's idle handler, enforces the
   * keep-alive.
   */
  void dropBuiltInKeepAlive() {
    ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
    for (String name : new String[] {IDLE, KEEP_ALIVE, TIMEOUT_ON_CONNECT}) {
      if (pipeline.get(name) != null) {
        pipeline.remove(name);
      }
    }
  }
}

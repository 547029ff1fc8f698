package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.RecvByteBufAllocator;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.SharedReadBuffers;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.limits.AcceptGate;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connections a node's device listeners accept read through one shared receive-buffer allocator
 * ({@link SharedReadBuffers}), those of its clustered event bus and its HTTP API through Netty's
 * adaptive one each, and data larger than one read still arrives whole. The first test runs a
 * one-node cluster in this JVM (a Hazelcast member of a cluster name of its own).
 */
@Timeout(120)
class SharedReadBuffersIT {

  /** Larger than one read ({@link SharedReadBuffers#READ_BUFFER_BYTES}) many times over. */
  private static final String LARGE = "x".repeat(100 * SharedReadBuffers.READ_BUFFER_BYTES);

  /**
   * Verifies that a raw TCP, an MQTT and a WebSocket device's connections read through the shared
   * allocator, and that a connection to the clustered event bus's server and one to the HTTP API do
   * not: the bus keeps adaptive reads for its bulk streams.
   */
  @Test
  void deviceConnectionsShareTheAllocatorAndTheClusterBusAndTheHttpApiDoNot() throws Exception {
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("cluster")
                    .put("enabled", true)
                    .put("quorum", 1)
                    .put("name", "shared-read-buffers-" + UUID.randomUUID()))) {
      // given a probe on the listening socket of each device listener, the bus and the HTTP API
      Broker broker = harness.broker;
      Accepted tcp = Accepted.on(broker.devices.servers(TransportName.TCP).get(0));
      Accepted mqtt = Accepted.on(broker.devices.servers(TransportName.MQTT).get(0));
      Accepted ws = Accepted.on(broker.devices.servers(TransportName.WEBSOCKET).get(0));
      Object busServer = field(broker.vertx().eventBus(), "server");
      Accepted bus = Accepted.on(busServer);
      Accepted http = Accepted.on(field(broker, "http"));

      // when a device of each transport opens a session, and sockets connect to the bus and API
      try (TcpDevice tcpDevice = harness.tcpDevice();
          MqttDevice mqttDevice = new MqttDevice("127.0.0.1", broker.port(TransportName.MQTT));
          WsPeer wsDevice = new WsPeer(broker.port(TransportName.WEBSOCKET));
          Socket toBus = new Socket("127.0.0.1", ((NetServer) busServer).actualPort());
          Socket toHttp = new Socket("127.0.0.1", broker.httpPort())) {
        tcpDevice.hello("srb-tcp", 30);
        assertThat(mqttDevice.connect("srb-mqtt", 30, BrokerHarness.WAIT)).isZero();
        wsDevice.hello("srb-ws", 30);
        for (String device : List.of("srb-tcp", "srb-mqtt", "srb-ws")) {
          harness.await(Addresses.OPENED, device);
        }

        // then the devices' connections share the allocator; the bus's and the API's do not
        for (Accepted device : List.of(tcp, mqtt, ws)) {
          assertThat(device.allocators())
              .allSatisfy(a -> assertThat(a).isSameAs(SharedReadBuffers.allocator()));
        }
        for (Accepted other : List.of(bus, http)) {
          assertThat(other.allocators())
              .allSatisfy(a -> assertThat(a).isInstanceOf(AdaptiveRecvByteBufAllocator.class));
        }
      }
    }
  }

  /**
   * Verifies that two TCP connections accepted by a server with the shared allocator read through
   * it, and that a 200 KB line sent over one of them comes back whole.
   */
  @Test
  void tcpConnectionsShareOneAllocatorAndALargeLineArrivesWhole() throws Exception {
    Vertx vertx = nativeVertx();
    try {
      // given a line-echoing server that notes each connection's allocator
      List<RecvByteBufAllocator> allocators = new CopyOnWriteArrayList<>();
      NetServer server =
          vertx
              .createNetServer()
              .connectHandler(
                  socket -> {
                    allocators.add(
                        ((NetSocketInternal) socket)
                            .channelHandlerContext()
                            .channel()
                            .config()
                            .getRecvByteBufAllocator());
                    socket.handler(socket::write);
                  });
      int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
      SharedReadBuffers.install(server).get(10, TimeUnit.SECONDS);

      // when two devices connect and one sends a line of 200 KB
      try (Socket first = new Socket("127.0.0.1", port);
          Socket second = new Socket("127.0.0.1", port)) {
        OutputStream out = second.getOutputStream();
        out.write((LARGE + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String echoed =
            new BufferedReader(
                    new InputStreamReader(second.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();

        // then the line is echoed whole, and both connections read through the shared allocator
        assertThat(echoed).isEqualTo(LARGE);
        assertThat(allocators)
            .hasSize(2)
            .allSatisfy(a -> assertThat(a).isSameAs(SharedReadBuffers.allocator()));
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Verifies that a WebSocket accepted by an HTTP server with the shared allocator reads through
   * it, and that a 200 KB text message comes back whole.
   */
  @Test
  void aWebSocketReadsThroughTheSharedAllocatorAndALargeMessageArrivesWhole() throws Exception {
    Vertx vertx = nativeVertx();
    try {
      // given an echoing WebSocket server that notes each one's allocator
      List<RecvByteBufAllocator> allocators = new CopyOnWriteArrayList<>();
      HttpServer server =
          vertx
              .createHttpServer(
                  new HttpServerOptions()
                      .setMaxWebSocketFrameSize(2 * LARGE.length())
                      .setMaxWebSocketMessageSize(2 * LARGE.length()))
              .webSocketHandler(
                  ws -> {
                    allocators.add(
                        ((WebSocketInternal) ws)
                            .channelHandlerContext()
                            .channel()
                            .config()
                            .getRecvByteBufAllocator());
                    ws.textMessageHandler(ws::writeTextMessage);
                  });
      int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
      SharedReadBuffers.install(server).get(10, TimeUnit.SECONDS);

      // when a client sends a text message of 200 KB
      CompletableFuture<String> echoed = new CompletableFuture<>();
      StringBuilder received = new StringBuilder();
      WebSocket client =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + port + "/"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(
                        WebSocket ws, CharSequence data, boolean last) {
                      received.append(data);
                      if (last) {
                        echoed.complete(received.toString());
                      }
                      ws.request(1);
                      return null;
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      client.sendText(LARGE, true).get(10, TimeUnit.SECONDS);

      // then it comes back whole, and the WebSocket read it through the shared allocator
      assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo(LARGE);
      assertThat(allocators).singleElement().isSameAs(SharedReadBuffers.allocator());
      client.abort();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static Vertx nativeVertx() {
    return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  /** A private field of {@code owner} or one of its superclasses. */
  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    for (Class<?> type = owner.getClass(); type != Object.class; type = type.getSuperclass()) {
      try {
        java.lang.reflect.Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
      } catch (NoSuchFieldException e) {
        // look further up
      }
    }
    throw new NoSuchFieldException(name + " in " + owner.getClass());
  }

  /**
   * The sockets a listening server accepts from now on, seen first in its own pipeline (before
   * {@link SharedReadBuffers} and the acceptor): each one's allocator is read as soon as those two
   * have handled it (they set it, then hand the socket to its event loop), so neither a socket that
   * closes early nor a second connection to the listener makes the probe wait for nothing.
   */
  @ChannelHandler.Sharable
  private static final class Accepted extends ChannelInboundHandlerAdapter {

    private final List<RecvByteBufAllocator> allocators = new CopyOnWriteArrayList<>();

    static Accepted on(Object server) throws Exception {
      Accepted probe = new Accepted();
      AcceptGate.addFirst(server, "probe", probe).get(10, TimeUnit.SECONDS);
      return probe;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.fireChannelRead(msg);
      if (msg instanceof Channel child) {
        allocators.add(child.config().getRecvByteBufAllocator());
      }
    }

    /** The allocators of the sockets accepted so far, once there is at least one. */
    List<RecvByteBufAllocator> allocators() {
      Awaitility.await("a socket accepted")
          .atMost(Duration.ofSeconds(10))
          .until(() -> !allocators.isEmpty());
      return List.copyOf(allocators);
    }
  }
}

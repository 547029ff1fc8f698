package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.RecvByteBufAllocator;
import io.vertx.core.Vertx;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's servers give every accepted connection one shared receive-buffer allocator ({@link
 * SharedReadBuffers}), and data larger than one read still arrives whole. Servers of the node's own
 * Vert.x instance (a broker started as {@code bin/broker} starts it), on its native transport.
 */
@Timeout(60)
class SharedReadBuffersIT {

  /** Larger than one read ({@link SharedReadBuffers#READ_BUFFER_BYTES}) many times over. */
  private static final String LARGE = "x".repeat(100 * SharedReadBuffers.READ_BUFFER_BYTES);

  private BrokerHarness harness;
  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    harness = BrokerHarness.start();
    vertx = harness.broker.vertx();
    assumeTrue(vertx.isNativeTransportEnabled(), "no native transport on this machine: NIO");
  }

  @AfterEach
  void stop() throws Exception {
    harness.close();
  }

  /**
   * Verifies that two TCP connections accepted by a node's server read through the same allocator,
   * and that a 200 KB line sent over one of them comes back whole.
   */
  @Test
  void tcpConnectionsShareOneAllocatorAndALargeLineArrivesWhole() throws Exception {
    // given a line-echoing server of the node's Vert.x that notes each connection's allocator
    List<RecvByteBufAllocator> allocators = new CopyOnWriteArrayList<>();
    NetServer server =
        vertx
            .createNetServer()
            .connectHandler(
                socket -> {
                  allocators.add(allocator((NetSocketInternal) socket));
                  socket.handler(socket::write);
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();

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
      assertThat(allocators).hasSize(2).allSatisfy(a -> assertThat(a).isSameAs(shared()));
    }
  }

  /**
   * Verifies that a WebSocket accepted by a node's HTTP server reads through the shared allocator,
   * and that a 200 KB text message comes back whole.
   */
  @Test
  void aWebSocketReadsThroughTheSharedAllocatorAndALargeMessageArrivesWhole() throws Exception {
    // given an echoing WebSocket server of the node's Vert.x that notes each one's allocator
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
                  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
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
    assertThat(allocators).singleElement().isSameAs(shared());
    client.abort();
  }

  private static RecvByteBufAllocator allocator(NetSocketInternal socket) {
    return socket.channelHandlerContext().channel().config().getRecvByteBufAllocator();
  }

  private static RecvByteBufAllocator shared() {
    return SharedReadBuffers.allocator();
  }
}

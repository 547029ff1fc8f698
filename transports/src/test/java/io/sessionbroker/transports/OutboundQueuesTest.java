package io.sessionbroker.transports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.junit5.VertxExtension;
import java.io.DataInputStream;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Guards {@link OutboundQueues}, which reaches into Vert.x internals: it fails when a Vert.x
 * upgrade moves them (then connections would silently go back to ≈ 4.7 KB of outbound queue each),
 * and checks that a connection with the slim queue still delivers everything, in order, through
 * back-pressure and from several threads at once.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutboundQueuesTest {

  private static final int CHUNK = 4096;
  private static final int CHUNKS =
      2048; // 8 MB: far more than the socket buffers, so the channel stalls
  private static final int THREADS = 4;
  private static final int SMALL_WRITES = 500;

  private Vertx vertx;

  /** The extension's Vert.x, closed by it after each test. */
  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
  }

  @Test
  void theVertxInternalsItReplacesAreStillThere() {
    assertThat(OutboundQueues.unavailable()).isNull();
  }

  @Test
  void aNetSocketGetsTheSlimQueueAndStillDeliversEverythingInOrder() throws Exception {
    // given: a server that slims each socket, then floods it from its event loop and from other
    // threads
    CompletableFuture<Boolean> slimmed = new CompletableFuture<>();
    CompletableFuture<Object> queue = new CompletableFuture<>();
    CompletableFuture<Optional<Object>> addHandler = new CompletableFuture<>();
    CountDownLatch flooded = new CountDownLatch(1);
    NetServer server =
        vertx
            .createNetServer()
            .connectHandler(
                socket -> {
                  NetSocketInternal internal = (NetSocketInternal) socket;
                  slimmed.complete(OutboundQueues.slim(internal.channelHandlerContext()));
                  queue.complete(innerQueue(internal));
                  addHandler.complete(addHandler(internal));
                  for (int i = 0; i < CHUNKS; i++) {
                    byte[] chunk = new byte[CHUNK];
                    Arrays.fill(chunk, (byte) (i % 251));
                    socket.write(Buffer.buffer(chunk));
                  }
                  flooded.countDown();
                  for (int t = 0; t < THREADS; t++) {
                    new Thread(() -> writeSmall(socket)).start();
                  }
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();

    // when: a client that only starts reading once the server has stalled on it
    try (Socket client = new Socket("127.0.0.1", port)) {
      assertThat(flooded.await(10, TimeUnit.SECONDS)).isTrue();
      DataInputStream in = new DataInputStream(client.getInputStream());
      byte[] chunk = new byte[CHUNK];
      // then: the event loop's chunks arrive whole and in order, then every small write from the
      // threads
      for (int i = 0; i < CHUNKS; i++) {
        in.readFully(chunk);
        byte expected = (byte) (i % 251);
        for (byte b : chunk) {
          assertThat(b).as("chunk %d", i).isEqualTo(expected);
        }
      }
      in.readFully(new byte[THREADS * SMALL_WRITES * 8]);
    }
    assertThat(slimmed.get()).isTrue();
    assertThat(queue.get()).isInstanceOf(ConcurrentLinkedQueue.class);
    assertThat(addHandler.get()).as("the handler's add handler, released").isEmpty();
  }

  @Test
  void aWebSocketGetsTheSlimQueueAndItsStrictHttpConnectionHasNone() throws Exception {
    // given: the WebSocket transport's setting, strict thread mode, and slimming on the upgrade
    CompletableFuture<Object> httpQueue = new CompletableFuture<>();
    CompletableFuture<Boolean> slimmed = new CompletableFuture<>();
    CompletableFuture<Object> wsQueue = new CompletableFuture<>();
    HttpServer server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHttp2ClearTextEnabled(false).setStrictThreadMode(true))
            .connectionHandler(
                connection -> {
                  try {
                    httpQueue.complete(String.valueOf(innerQueue(connection)));
                  } catch (Throwable e) {
                    httpQueue.completeExceptionally(e);
                  }
                })
            .webSocketHandler(
                ws -> {
                  WebSocketInternal internal = (WebSocketInternal) ws;
                  slimmed.complete(OutboundQueues.slim(internal.channelHandlerContext()));
                  wsQueue.complete(innerQueue(internal.channelHandlerContext().handler()));
                  ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text));
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();

    // when
    CompletableFuture<String> echo = new CompletableFuture<>();
    java.net.http.WebSocket client =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + port + "/"),
                new java.net.http.WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(
                      java.net.http.WebSocket ws, CharSequence data, boolean last) {
                    echo.complete(data.toString());
                    return null;
                  }
                })
            .get(10, TimeUnit.SECONDS);
    client.sendText("hi", true);

    // then
    assertThat(echo.get(10, TimeUnit.SECONDS)).isEqualTo("echo hi");
    client.abort();
    assertThat(httpQueue.get()).isEqualTo("null");
    assertThat(slimmed.get()).isTrue();
    assertThat(wsQueue.get()).isInstanceOf(ConcurrentLinkedQueue.class);
  }

  /**
   * Verifies that an upgraded WebSocket no longer holds the HTTP connection it was upgraded from,
   * and with it the upgrade's request, response and headers (≈ 2 KB per WebSocket, issue 17): the
   * Vert.x handler of the WebSocket keeps the factory that built its connection, a lambda holding
   * all of them, and {@link OutboundQueues#slim} lets go of it. Reachability, not a byte count: it
   * fails as soon as anything keeps the HTTP connection alive again.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a connect on a loaded 2-core machine took > 10 s
  void anUpgradedWebSocketLetsGoOfItsHttpConnection() throws Exception {
    // given: the WebSocket transport's setting, and slimming on the upgrade
    ReferenceQueue<Object> collected = new ReferenceQueue<>();
    List<WeakReference<Object>> httpConnections = new CopyOnWriteArrayList<>();
    CompletableFuture<Optional<Object>> factory = new CompletableFuture<>();
    HttpServer server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHttp2ClearTextEnabled(false).setStrictThreadMode(true))
            .connectionHandler(
                connection -> httpConnections.add(new WeakReference<>(connection, collected)))
            .webSocketHandler(
                ws -> {
                  ChannelHandlerContext chctx = ((WebSocketInternal) ws).channelHandlerContext();
                  OutboundQueues.slim(chctx);
                  try {
                    factory.complete(
                        Optional.ofNullable(
                            OutboundQueues.factory((VertxHandler<?>) chctx.handler())));
                  } catch (IllegalAccessException e) {
                    factory.completeExceptionally(e);
                  }
                  ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text));
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
    java.net.http.WebSocket client = echoClient(port, echoes);
    client.sendText("hi", true);
    assertThat(echoes.poll(30, TimeUnit.SECONDS)).isEqualTo("echo hi");

    // when: collections run while the WebSocket is open
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Reference<?> gone = null;
    while (gone == null && System.nanoTime() < deadline) {
      System.gc();
      gone = collected.remove(200);
    }

    // then: the HTTP connection is gone, the factory released, and the WebSocket still works
    assertThat(httpConnections).hasSize(1);
    assertThat(factory.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(gone).as("the upgraded HTTP connection was collected").isNotNull();
    client.sendText("still here", true);
    assertThat(echoes.poll(30, TimeUnit.SECONDS)).isEqualTo("echo still here");
    client.abort();
  }

  /**
   * Verifies that a WebSocket lets go of its upgrade request's headers once they were read: from
   * then on it answers an empty map that nobody can fill, and the WebSocket still works (issue 17:
   * the headers were ≈ 0.8 KB of every WebSocket session).
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a connect on a loaded 2-core machine took > 10 s
  void aWebSocketLetsGoOfItsUpgradeHeadersOnceRead() throws Exception {
    // given: a server that reads the headers, then forgets them
    CompletableFuture<String> upgrade = new CompletableFuture<>();
    CompletableFuture<MultiMap> after = new CompletableFuture<>();
    HttpServer server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHttp2ClearTextEnabled(false).setStrictThreadMode(true))
            .webSocketHandler(
                ws -> {
                  upgrade.complete(ws.headers().get("Upgrade"));
                  OutboundQueues.forgetHeaders(ws);
                  after.complete(ws.headers());
                  ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text));
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    BlockingQueue<String> echoes = new LinkedBlockingQueue<>();

    // when
    java.net.http.WebSocket client = echoClient(port, echoes);

    // then
    assertThat(upgrade.get(10, TimeUnit.SECONDS)).isEqualToIgnoringCase("websocket");
    MultiMap headers = after.get(10, TimeUnit.SECONDS);
    assertThat(headers.isEmpty()).as("headers after forgetHeaders").isTrue();
    assertThatThrownBy(() -> headers.add("Upgrade", "websocket"))
        .isInstanceOf(IllegalStateException.class);
    client.sendText("hi", true);
    assertThat(echoes.poll(30, TimeUnit.SECONDS)).isEqualTo("echo hi");
    client.abort();
  }

  /**
   * Verifies that a WebSocket lets go of its upgrade's request line once read: its URI and path are
   * then the one path string given, its query and authority null, and it still works (issue 17: ≈
   * 280 bytes of every WebSocket session).
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a connect on a loaded 2-core machine took > 10 s
  void aWebSocketLetsGoOfItsRequestLineOnceRead() throws Exception {
    // given: a server that reads the query, then forgets the request line
    String path = new String("/devices"); // not the literal: the WebSocket's must become this one
    CompletableFuture<String> query = new CompletableFuture<>();
    CompletableFuture<Object[]> after = new CompletableFuture<>();
    HttpServer server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHttp2ClearTextEnabled(false).setStrictThreadMode(true))
            .webSocketHandler(
                ws -> {
                  query.complete(ws.query());
                  OutboundQueues.forgetRequestLine(ws, path);
                  after.complete(new Object[] {ws.uri(), ws.path(), ws.query(), ws.authority()});
                  ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text));
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    BlockingQueue<String> echoes = new LinkedBlockingQueue<>();

    // when
    java.net.http.WebSocket client = echoClient(port, "/devices?device=d-1", echoes);

    // then
    assertThat(OutboundQueues.requestLineReleasable()).isTrue();
    assertThat(query.get(10, TimeUnit.SECONDS)).isEqualTo("device=d-1");
    Object[] line = after.get(10, TimeUnit.SECONDS);
    assertThat(line[0]).as("uri").isSameAs(path);
    assertThat(line[1]).as("path").isSameAs(path);
    assertThat(line[2]).as("query").isNull();
    assertThat(line[3]).as("authority").isNull();
    client.sendText("hi", true);
    assertThat(echoes.poll(30, TimeUnit.SECONDS)).isEqualTo("echo hi");
    client.abort();
  }

  /** A JDK WebSocket client of {@code port} that adds every text it receives to {@code echoes}. */
  private static java.net.http.WebSocket echoClient(int port, BlockingQueue<String> echoes)
      throws Exception {
    return echoClient(port, "/", echoes);
  }

  /** As {@link #echoClient(int, BlockingQueue)}, on {@code pathAndQuery}. */
  private static java.net.http.WebSocket echoClient(
      int port, String pathAndQuery, BlockingQueue<String> echoes) throws Exception {
    return HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + port + pathAndQuery),
            new java.net.http.WebSocket.Listener() {
              @Override
              public CompletionStage<?> onText(
                  java.net.http.WebSocket ws, CharSequence data, boolean last) {
                echoes.add(data.toString());
                ws.request(1);
                return null;
              }
            })
        .get(30, TimeUnit.SECONDS);
  }

  private static void writeSmall(NetSocket socket) {
    for (int i = 0; i < SMALL_WRITES; i++) {
      socket.write(Buffer.buffer(new byte[8]));
    }
  }

  /** {@code socket}'s handler's add handler (empty once released). */
  private static Optional<Object> addHandler(NetSocketInternal socket) {
    try {
      return Optional.ofNullable(
          OutboundQueues.addHandler((VertxHandler<?>) socket.channelHandlerContext().handler()));
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }

  private static Object innerQueue(Object connectionOrHandler) {
    Object connection =
        connectionOrHandler instanceof VertxHandler<?> handler
            ? handler.getConnection()
            : connectionOrHandler;
    try {
      return OutboundQueues.innerQueue((VertxConnection) connection);
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }
}

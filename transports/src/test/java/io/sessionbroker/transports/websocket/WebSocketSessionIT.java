package io.sessionbroker.transports.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.ClassHistogram;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.link.Link;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies that a device on the JDK WebSocket client holds a session: hello and welcome, liveness
 * by protocol pongs or application pings, and the three ways a device ends it (bye, close frame,
 * dropped socket).
 *
 * <p>Devices a test does not end are left to the teardown, where the table's shutdown closes them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketSessionIT {

  private static final String SECRET = "0123456789abcdef-secret";

  private TableFixture fixture;
  private WebSocketTransport transport;

  @BeforeEach
  void start() throws Exception {
    fixture = new TableFixture();
    transport = deploy(WsOptions.defaults().withPort(0), DeviceAuth.NONE);
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  private WebSocketTransport deploy(WsOptions options, DeviceAuth auth) throws Exception {
    WebSocketTransport deployed = new WebSocketTransport(fixture.table, options, auth);
    fixture.vertx.deployVerticle(deployed).await(10, TimeUnit.SECONDS);
    return deployed;
  }

  @Test
  void helloFrameIsAnsweredWithWelcomeAndOpensAWebSocketSession() throws Exception {
    // given
    WsDevice device = WsDevice.connect(transport.port(), "/devices");

    // when
    device.send(new JsonObject().put("type", "hello").put("device", "ws-1").put("heartbeat", 30));

    // then
    JsonObject welcome = device.next();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    assertThat(welcome.getInteger("heartbeat")).isEqualTo(30);
    assertThat(welcome.getInteger("timeout")).isEqualTo(45);
    JsonObject opened = fixture.await(Addresses.OPENED, "ws-1");
    assertThat(opened.getString("transport")).isEqualTo("websocket");
    assertThat(opened.getString("sessionId")).isEqualTo(welcome.getString("session"));
    assertThat(opened.getString("remote")).startsWith("127.0.0.1:");
  }

  /**
   * Verifies that open WebSocket sessions, pinged by the broker, keep no Vert.x timer and no copy
   * of their upgrade's request line each (issue 17): a Vert.x periodic timer per WebSocket held its
   * handler, its entries in Vert.x's timer map and the context's close hooks (≈ 150 bytes); the
   * request line its URI, query and {@code Host} (≈ 280 bytes); the {@link FrameGate} that held its
   * frames until it opened, its pipeline context (≈ 100 bytes). Counted in this JVM's class
   * histogram with 20 sessions open, each pinged twice.
   */
  @Test
  void openSessionsKeepNoVertxTimerNoRequestLineAndNoFrameGate() throws Exception {
    // given 20 sessions (30 s heartbeats), each pinged every 0.1 s, when each has been pinged twice
    int sessions = pingedTwice("ws-footprint-").size();

    // then no session keeps a Vert.x timer or the request's authority (host and port)
    assertThat(ClassHistogram.instances("io.vertx.core.impl.VertxImpl$InternalTimerHandler"))
        .isLessThan(sessions);
    assertThat(ClassHistogram.instances("io.vertx.core.net.impl.HostAndPortImpl"))
        .isLessThan(sessions);
    assertThat(ClassHistogram.instances(FrameGate.class.getName())).isLessThan(sessions);
  }

  /**
   * Verifies that a WebSocket session that ended keeps nothing pinging it: the broker's ping task
   * holds its connection, so a task left scheduled after the end (never cancelled) would keep every
   * ended WebSocket's connection alive and write pings into closed sockets for ever.
   */
  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void endedSessionsLeaveNoPingTaskBehind() throws Exception {
    // given 20 sessions, each pinged every 0.1 s and pinged twice
    java.util.List<WsDevice> devices = pingedTwice("ws-ended-");
    int sessions = devices.size();

    // when every device drops its connection and the broker has ended each session
    for (int i = 0; i < sessions; i++) {
      devices.get(i).close();
      fixture.await(Addresses.CLOSED, "ws-ended-" + i);
    }

    // then no connection of theirs is still reachable (a scheduled ping task would hold it)
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> ClassHistogram.instances("io.sessionbroker.transports.websocket.WsConnection"),
            live -> live < sessions);
  }

  /**
   * Opens 20 sessions named {@code prefix} + 0..19 (30 s heartbeats) on a listener that pings every
   * 0.1 s, and returns their devices once each has been pinged twice.
   */
  private java.util.List<WsDevice> pingedTwice(String prefix) throws Exception {
    WebSocketTransport pinging =
        deploy(
            new WsOptions("127.0.0.1", 0, "/devices", 5_000, 16_384, 8_192, 100), DeviceAuth.NONE);
    java.util.List<WsDevice> devices = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      devices.add(WsDevice.hello(pinging.port(), prefix + i, 30));
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> devices.stream().allMatch(d -> d.pings() >= 2));
    return devices;
  }

  /**
   * Verifies that the listener's connections run on every event loop of the Vert.x instance, in
   * turn, not all on the loop of the verticle that opened the port: given twice as many devices as
   * event loops, when each has its session, then their connections' event loops are all of them
   * (issue 17: a mass expiry closed a thousand connections one after another on one thread).
   */
  @Test
  void connectionsAreSpreadOverEveryEventLoop() throws Exception {
    Set<EventExecutor> loops = new HashSet<>();
    ((VertxInternal) fixture.vertx).nettyEventLoopGroup().forEach(loops::add);
    for (int i = 0; i < 2 * loops.size(); i++) {
      WsDevice.hello(transport.port(), "spread-" + i, 30);
    }

    Set<EventExecutor> used = new HashSet<>();
    for (Session session : fixture.table.sessions().await(5, TimeUnit.SECONDS)) {
      if (session.deviceId().startsWith("spread-")) {
        Context context = ((Link<?>) session.connection()).context();
        used.add(((ContextInternal) context).nettyEventLoop());
      }
    }
    assertThat(used).hasSize(loops.size()).isEqualTo(loops);
  }

  @Test
  void upgradeRequestCarriesTheHelloWithABearerTokenAndIsWelcomedAtOnce() throws Exception {
    // given
    WebSocketTransport secured =
        deploy(WsOptions.defaults().withPort(0), DeviceAuth.withSecret(SECRET));
    String token = DeviceAuth.withSecret(SECRET).tokenFor("ws-bearer");

    // when
    WsDevice device =
        WsDevice.connect(
            secured.port(),
            "/devices?device=ws-bearer&heartbeat=20",
            Map.of("Authorization", "Bearer " + token));

    // then
    JsonObject welcome = device.next();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    assertThat(welcome.getInteger("heartbeat")).isEqualTo(20);
    assertThat(fixture.await(Addresses.OPENED, "ws-bearer").getString("transport"))
        .isEqualTo("websocket");
  }

  @Test
  void browserPassesTheTokenAsAQueryParameter() throws Exception {
    // given
    WebSocketTransport secured =
        deploy(WsOptions.defaults().withPort(0), DeviceAuth.withSecret(SECRET));
    String token = DeviceAuth.withSecret(SECRET).tokenFor("ws-browser");

    // when
    WsDevice device = WsDevice.connect(secured.port(), "/devices?device=ws-browser&token=" + token);

    // then
    JsonObject welcome = device.next();
    assertThat(welcome.getString("type")).isEqualTo("welcome");
    assertThat(fixture.await(Addresses.OPENED, "ws-browser").getString("sessionId"))
        .isEqualTo(welcome.getString("session"));
  }

  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void protocolPongsAloneKeepTheSessionAliveForManyTimeouts() throws Exception {
    // given: heartbeat 0.2 s, so timeout 0.3 s and a ping frame every 0.1 s, answered by the JDK
    // client
    WsDevice device = WsDevice.hello(transport.port(), "ws-pongs", 0.2);
    JsonObject opened = fixture.await(Addresses.OPENED, "ws-pongs");

    // when: the device sends no frame of its own while it answers ten pings (more than three
    // timeouts)
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> device.pings() >= 10);
    // and a device on the same terms that leaves the pings unanswered, welcomed after it, times out
    WsDevice silent = WsDevice.hello(transport.port(), "ws-pongs-silent", 0.2);
    silent.stopReading();
    assertThat(fixture.await(Addresses.CLOSED, "ws-pongs-silent").getString("reason"))
        .isEqualTo("TIMEOUT");
    silent
        .abort(); // its session is over; a client that never reads would hold up the server's close

    // then the first one is still open: were pongs no proof of life, its deadline (before the
    // silent one's) would
    // have closed it first, and the table publishes its events in order
    assertThat(fixture.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
    JsonObject session = fixture.table.admin().get("ws-pongs").await(5, TimeUnit.SECONDS);
    assertThat(session.getString("sessionId")).isEqualTo(opened.getString("sessionId"));
    assertThat(session.getLong("lastSeenAt")).isGreaterThan(opened.getLong("at") + 300);
    assertThat(device.isClosed()).isFalse();
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void applicationPingsAloneKeepTheSessionAliveWhenTheBrokerDoesNotPing() throws Exception {
    // given: a transport that sends no ping frames, as if a proxy swallowed them
    WsOptions noPings =
        new WsOptions("127.0.0.1", 0, "/devices", 5_000, 16_384, 8_192, WsOptions.PING_NEVER);
    WebSocketTransport quiet = deploy(noPings, DeviceAuth.NONE);
    WsDevice device = WsDevice.hello(quiet.port(), "ws-app-ping", 0.2);

    // when: a browser-style ping frame every 0.1 s for ten timeouts, the last with a status
    for (int i = 0; i < 30; i++) {
      device.send(new JsonObject().put("type", "ping").put("status", new JsonObject().put("i", i)));
      assertThat(device.next().getString("type")).isEqualTo("pong");
      TimeUnit.MILLISECONDS.sleep(100); // the device's own heartbeat period
    }

    // then
    JsonObject session = fixture.table.admin().get("ws-app-ping").await(5, TimeUnit.SECONDS);
    assertThat(session).isNotNull();
    assertThat(session.getJsonObject("status").getInteger("i")).isEqualTo(29);
    fixture.settle();
    assertThat(fixture.pending()).noneMatch(e -> e.address().equals(Addresses.CLOSED));
    // (it says bye now: left alone, it would time out 0.3 s after its last ping)
    device.send(new JsonObject().put("type", "bye"));
    assertThat(fixture.await(Addresses.CLOSED, "ws-app-ping").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  @Test
  void dataFrameIsPublishedOnDevicesInbound() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-data", 30);

    // when
    device.send(
        new JsonObject()
            .put("type", "data")
            .put("topic", "temp")
            .put("payload", new JsonObject().put("c", 21.5)));

    // then
    JsonObject inbound = fixture.await(Addresses.INBOUND, "ws-data");
    assertThat(inbound.getString("topic")).isEqualTo("temp");
    assertThat(inbound.getJsonObject("payload").getDouble("c")).isEqualTo(21.5);
  }

  @Test
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void byeFrameEndsTheSessionAsClientClosedWithCode1000() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-bye", 30);

    // when
    device.send(new JsonObject().put("type", "bye"));

    // then
    assertThat(fixture.await(Addresses.CLOSED, "ws-bye").getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
    assertThat(device.closed().code()).isEqualTo(1000);
  }

  /**
   * Verifies that a device's close frame ends its session CLIENT_CLOSED and is echoed, with the
   * codes at the edges of what RFC 6455 §7.4.2 defines (4999, the last private-use code; 5000 and
   * above fail the connection: WebSocketFrameViolationsIT).
   */
  @ParameterizedTest
  @ValueSource(ints = {1000, 3000, 4999})
  @ExpectCloses(CloseReason.CLIENT_CLOSED)
  void closeFrameFromTheDeviceIsClientClosed(int code) throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-close-frame-" + code, 30);

    // when
    device.sendClose(code);

    // then: the broker echoes the close (RFC 6455 §5.5.1)
    assertThat(device.closed().code()).isEqualTo(code);
    assertThat(fixture.await(Addresses.CLOSED, "ws-close-frame-" + code).getString("reason"))
        .isEqualTo("CLIENT_CLOSED");
  }

  @Test
  @ExpectCloses(CloseReason.CONNECTION_LOST)
  void socketDroppedWithoutCloseFrameIsConnectionLost() throws Exception {
    // given
    WsDevice device = WsDevice.hello(transport.port(), "ws-abort", 30);

    // when
    device.abort();

    // then
    assertThat(fixture.await(Addresses.CLOSED, "ws-abort").getString("reason"))
        .isEqualTo("CONNECTION_LOST");
  }
}

package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.cluster.Session;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.link.Link;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Verifies that MQTT connections run on every event loop, and that what they share — the stored
 * session of a client id, its subscriptions — still changes hands correctly when a client's
 * connections are on different loops.
 */
@Timeout(60)
class MqttEventLoopsIT {

  private MqttHarness mqtt;

  @BeforeEach
  void start() throws Exception {
    mqtt = MqttHarness.everyTopic();
  }

  @AfterEach
  void stop() throws Exception {
    mqtt.close();
  }

  /**
   * Verifies that given twice as many MQTT clients as the broker has event loops, when each has its
   * session, then their connections' event loops are all of them (issue 17: a mass expiry closed a
   * thousand MQTT connections one after another on one thread, as TCP's did before).
   */
  @Test
  void connectionsAreSpreadOverEveryEventLoop() throws Exception {
    // given
    Set<EventExecutor> loops = new HashSet<>();
    ((VertxInternal) mqtt.fixture.vertx).nettyEventLoopGroup().forEach(loops::add);

    // when
    for (int i = 0; i < 2 * loops.size(); i++) {
      RawMqtt.Connect connect = new RawMqtt.Connect();
      connect.clientId = "spread-" + i;
      assertThat(mqtt.raw().connect(connect).type()).isEqualTo(2); // CONNACK
    }

    // then
    Set<EventExecutor> used = new HashSet<>();
    for (Session session : mqtt.fixture.table.sessions().await(5, TimeUnit.SECONDS)) {
      if (session.deviceId().startsWith("spread-")) {
        used.add(loopOf(session));
      }
    }
    assertThat(used).hasSize(loops.size()).isEqualTo(loops);
  }

  /**
   * Verifies that a Clean Session 0 client that connects again while its old connection, on another
   * event loop, is still open takes the old session over and resumes it: CONNACK Session Present 1
   * (3.1.1 [MQTT-3.2.2-2]) and the old subscription delivers without a new SUBSCRIBE
   * ([MQTT-3.1.2-4]: the session continues on the new connection; [MQTT-3.1.4-2]: the old
   * connection is closed). The old connection's loop is kept busy meanwhile, so nothing the old
   * connection does on its own loop can be what hands the session over: the hand-over must follow
   * the session table's order, not the loops'.
   */
  @Test
  @ExpectCloses({CloseReason.CLIENT_CLOSED, CloseReason.TAKEN_OVER})
  void aSessionTakenOverFromAnotherEventLoopResumesWithItsSubscriptions() throws Exception {
    // given a Clean Session 0 client that subscribed, on an event loop that is not the table's
    EventExecutor tableLoop = tableLoop();
    MqttConnectOptions persistent = new MqttConnectOptions();
    persistent.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    persistent.setCleanSession(false);
    persistent.setConnectionTimeout(10);
    MqttClient first = new MqttClient(mqtt.uri(), "roamer", new MemoryPersistence());
    first.connect(persistent);
    while (loopOf(session("roamer")) == tableLoop) { // the next connection lands on the next loop
      first.disconnect();
      first.close();
      assertThat(mqtt.fixture.await(Addresses.CLOSED, "roamer").getString("reason"))
          .isEqualTo("CLIENT_CLOSED");
      first = new MqttClient(mqtt.uri(), "roamer", new MemoryPersistence());
      first.connect(persistent);
    }
    first.subscribe("news/#", 1);
    Context firstContext = ((Link<?>) session("roamer").connection()).context();

    // when its loop is busy and the client connects again (the next connection: another loop)
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    MqttClient second = new MqttClient(mqtt.uri(), "roamer", new MemoryPersistence());
    second.setCallback(collecting(received));
    boolean sessionPresent;
    EventExecutor secondLoop;
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    firstContext.runOnContext(
        v -> {
          busy.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    try {
      busy.await(5, TimeUnit.SECONDS);
      sessionPresent = second.connectWithResult(persistent).getSessionPresent();
      secondLoop = loopOf(session("roamer"));
    } finally {
      release.countDown();
    }

    // then the session is taken over and resumed on the other loop, and its subscription delivers
    assertThat(secondLoop).isNotSameAs(((ContextInternal) firstContext).nettyEventLoop());
    assertThat(mqtt.fixture.await(Addresses.CLOSED, "roamer").getString("reason"))
        .isEqualTo("TAKEN_OVER");
    assertThat(sessionPresent).isTrue();
    mqtt.publishMarker("news/today");
    assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("news/today marker");
    second.disconnect();
    first.close(true);
  }

  private Session session(String deviceId) throws Exception {
    return mqtt.fixture.table.sessions().await(5, TimeUnit.SECONDS).stream()
        .filter(s -> s.deviceId().equals(deviceId))
        .findFirst()
        .orElseThrow();
  }

  private static EventExecutor loopOf(Session session) {
    return ((ContextInternal) ((Link<?>) session.connection()).context()).nettyEventLoop();
  }

  /**
   * The event loop of the session table's thread: a session the table closes is told so there
   * ({@code Connection.closed}).
   */
  private EventExecutor tableLoop() throws Exception {
    CompletableFuture<Context> told = new CompletableFuture<>();
    Session probe =
        mqtt.fixture
            .table
            .open(
                new OpenRequest(
                    "loop-probe",
                    "tcp",
                    "127.0.0.1:40000",
                    30_000,
                    null,
                    (session, reason) -> told.complete(Vertx.currentContext())))
            .await(5, TimeUnit.SECONDS);
    mqtt.fixture.table.close(probe, CloseReason.CLIENT_CLOSED);
    mqtt.fixture.await(Addresses.CLOSED, "loop-probe");
    return ((ContextInternal) told.get(5, TimeUnit.SECONDS)).nettyEventLoop();
  }

  private static MqttCallback collecting(BlockingQueue<String> received) {
    return new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.add(topic + " " + new String(message.getPayload(), StandardCharsets.UTF_8));
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) {}
    };
  }
}

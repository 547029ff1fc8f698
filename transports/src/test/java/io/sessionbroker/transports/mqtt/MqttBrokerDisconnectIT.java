package io.sessionbroker.transports.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.sessionbroker.cluster.OpenRequest;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.limits.AcceptGate;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Verifies what an MQTT client receives on the wire when the broker ends its session
 * (docs/protocol.md, "How MQTT maps to sessions"): an MQTT 5 client gets one DISCONNECT with the
 * reason code of the close (§3.14.2.1), then the connection closes; an MQTT 3.1.1 client, for which
 * the server has no DISCONNECT (§3.14), sees only the close. The codes not covered here are in
 * {@link MqttTakeoverIT} (0x8E, 0x98), {@link MqttConnectIT} (0x81, 0x82) and {@link
 * MqttMalformedPacketIT} (0x81, 0x82, 0x90, 0x94, 0x95 for each bad packet).
 */
@Timeout(60)
class MqttBrokerDisconnectIT {

  private MqttHarness mqtt;

  @AfterEach
  void stop() throws Exception {
    if (mqtt != null) {
      mqtt.close();
    }
  }

  private MqttHarness start() throws Exception {
    return start(MqttOptions.defaults().withPort(0), null);
  }

  private MqttHarness start(MqttOptions options, Function<Vertx, MqttRouter> router)
      throws Exception {
    // Every topic: these tests' watchers read other clients' wills (MqttAclIT tests the default).
    mqtt =
        new MqttHarness(options, DeviceAuth.NONE, router, MqttHarness.aclFile("topic readwrite #"));
    return mqtt;
  }

  private static RawMqtt.Connect connect(int level, String id, int keepAlive) {
    RawMqtt.Connect connect = new RawMqtt.Connect();
    connect.level = level;
    connect.clientId = id;
    connect.keepAlive = keepAlive;
    return connect;
  }

  /** Connects {@code connect} on a new raw client and waits for its session. */
  private RawMqtt connected(RawMqtt.Connect connect) throws Exception {
    RawMqtt device = mqtt.raw();
    RawMqtt.Packet connack = device.connect(connect);
    assertThat(connack.type()).isEqualTo(RawMqtt.CONNACK);
    assertThat(connack.body()[1]).as("CONNACK code").isZero();
    mqtt.fixture.await(Addresses.OPENED, connect.clientId);
    return device;
  }

  /**
   * Asserts that the next packet is an MQTT 5 DISCONNECT with {@code reasonCode} and that the close
   * follows.
   */
  private static void assertDisconnectThenClose(RawMqtt device, int reasonCode) throws Exception {
    RawMqtt.Packet disconnect = device.read();
    assertThat(disconnect.type()).isEqualTo(RawMqtt.DISCONNECT);
    assertThat(disconnect.body()[0] & 0xFF).as("DISCONNECT reason code").isEqualTo(reasonCode);
    assertThat(device.bytesUntilClosed()).as("bytes after the DISCONNECT").isEmpty();
  }

  private String closeReason(String deviceId) throws InterruptedException {
    return mqtt.fixture.await(Addresses.CLOSED, deviceId).getString("reason");
  }

  @Test
  @ExpectCloses(CloseReason.TIMEOUT)
  void silenceEndsAnMqtt5SessionWithDisconnect0x8DKeepAliveTimeout() throws Exception {
    // given an MQTT 5 device with keep-alive 1 s
    start();
    RawMqtt device = connected(connect(5, "v5-sleepy", 1));

    // when it stays silent, then it gets DISCONNECT 0x8D Keep Alive timeout, and the session ends
    // TIMEOUT
    assertDisconnectThenClose(device, 0x8D);
    assertThat(closeReason("v5-sleepy")).isEqualTo("TIMEOUT");
  }

  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void shutdownEndsAnMqtt5SessionWithDisconnect0x8BAndPublishesTheWill() throws Exception {
    // given a clustered router, whose publishes other nodes receive on the cluster address, and an
    // MQTT 5
    // device with a will
    start(
        MqttOptions.defaults().withPort(0),
        vertx -> new ClusterRouter(vertx.eventBus(), "mqtt-node"));
    BlockingQueue<JsonObject> toOtherNodes = new LinkedBlockingQueue<>();
    mqtt.fixture
        .vertx
        .eventBus()
        .<JsonObject>consumer(ClusterRouter.ADDRESS, m -> toOtherNodes.add(m.body()))
        .completion()
        .await(10, TimeUnit.SECONDS);
    RawMqtt.Connect connect = connect(5, "v5-stopped", 30);
    connect.willTopic = "wills/v5-stopped";
    connect.willPayload = "offline";
    RawMqtt device = connected(connect);

    // when the node shuts down
    mqtt.fixture.table.shutdown().await(10, TimeUnit.SECONDS);

    // then the device gets DISCONNECT 0x8B Server shutting down, the close is SHUTDOWN and carries
    // the will,
    // and the will is published (here: to the other nodes; local subscribers are shutting down too)
    assertDisconnectThenClose(device, 0x8B);
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "v5-stopped");
    assertThat(closed.getString("reason")).isEqualTo("SHUTDOWN");
    assertThat(closed.getJsonObject("will").getString("topic")).isEqualTo("wills/v5-stopped");
    JsonObject will = toOtherNodes.poll(10, TimeUnit.SECONDS);
    assertThat(will).as("the will on the cluster address").isNotNull();
    assertThat(will.getString("topic")).isEqualTo("wills/v5-stopped");
    assertThat(
            new String(
                Base64.getDecoder().decode(will.getString("payload")), StandardCharsets.UTF_8))
        .isEqualTo("offline");
    assertThat(will.getInteger("qos")).isEqualTo(1);
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aPacketOverMaxMessageBytesEndsAnMqtt5SessionWithDisconnect0x95PacketTooLarge()
      throws Exception {
    // given a broker that accepts packets of at most 64 bytes
    start(new MqttOptions("127.0.0.1", 0, 10_000, 300, 64), null);
    RawMqtt device = connected(connect(5, "v5-bulky", 30));

    // when the device publishes 200 bytes
    byte[] publish = new byte[2 + 3 + 1 + 200];
    publish[1] = 3;
    publish[2] = 'a';
    publish[3] = '/';
    publish[4] = 'b';
    device.send(RawMqtt.packet(0x30, publish));

    // then
    assertDisconnectThenClose(device, 0x95);
    assertThat(closeReason("v5-bulky")).isEqualTo("PROTOCOL_ERROR");
  }

  @Test
  @ExpectCloses(CloseReason.TAKEN_OVER)
  void aTakeoverEndsAnMqtt311SessionWithOnlyAClose() throws Exception {
    // given an MQTT 3.1.1 device
    start();
    RawMqtt device = connected(connect(4, "v3-twin", 30));

    // when the same device opens a session over another transport
    mqtt.fixture
        .table
        .open(new OpenRequest("v3-twin", "tcp", "127.0.0.1:1", 30_000, null, (s, r) -> {}))
        .await(5, TimeUnit.SECONDS);

    // then the MQTT connection closes without any packet, and the MQTT session ends TAKEN_OVER
    assertThat(device.bytesUntilClosed()).isEmpty();
    JsonObject closed = mqtt.fixture.await(Addresses.CLOSED, "v3-twin");
    assertThat(closed.getString("reason")).isEqualTo("TAKEN_OVER");
    assertThat(closed.getString("transport")).isEqualTo("mqtt");
  }

  @Test
  @ExpectCloses(CloseReason.KICKED)
  void aKickEndsAnMqtt311SessionWithOnlyAClose() throws Exception {
    // given
    start();
    RawMqtt device = connected(connect(4, "v3-kicked", 30));

    // when
    assertThat(mqtt.fixture.table.admin().kick("v3-kicked").await(5, TimeUnit.SECONDS)).isTrue();

    // then
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(closeReason("v3-kicked")).isEqualTo("KICKED");
  }

  /**
   * Verifies that a session the broker ends has its socket closed once (issue 17): vertx-mqtt's
   * disconnect closes it (MQTT 5 after the DISCONNECT, 3.1.1 with nothing said) and the link does
   * not close it again. Counted by a handler at the tail of the broker's socket's pipeline, where
   * every close of the channel starts.
   */
  @ParameterizedTest
  @ValueSource(ints = {4, 5})
  @ExpectCloses(CloseReason.KICKED)
  void aKickClosesTheSocketOnce(int level) throws Exception {
    // given a session, its socket's closes counted
    start();
    BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    AcceptGate.addFirst(mqtt.transport.servers().get(0), "accepted", new Accepted(accepted))
        .get(10, TimeUnit.SECONDS);
    String id = "kicked-once-" + level;
    RawMqtt device = connected(connect(level, id, 30));
    Channel socket = accepted.poll(10, TimeUnit.SECONDS);
    AtomicInteger closes = new AtomicInteger();
    socket
        .eventLoop()
        .submit(() -> socket.pipeline().addLast("closes", new CountCloses(closes)))
        .get(10, TimeUnit.SECONDS);

    // when
    assertThat(mqtt.fixture.table.admin().kick(id).await(5, TimeUnit.SECONDS)).isTrue();

    // then the device sees its end, and the socket was closed once
    device.bytesUntilClosed();
    socket.closeFuture().await(10, TimeUnit.SECONDS);
    assertThat(socket.eventLoop().submit(closes::get).get(10, TimeUnit.SECONDS)).isEqualTo(1);
  }

  /** Keeps each socket the listener accepts. */
  private static final class Accepted extends ChannelInboundHandlerAdapter {
    private final BlockingQueue<Channel> sockets;

    Accepted(BlockingQueue<Channel> sockets) {
      this.sockets = sockets;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel child) {
        sockets.add(child);
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Counts the closes of a channel that pass it. */
  private static final class CountCloses extends ChannelOutboundHandlerAdapter {
    private final AtomicInteger closes;

    CountCloses(AtomicInteger closes) {
      this.closes = closes;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
      closes.incrementAndGet();
      super.close(ctx, promise);
    }
  }

  @Test
  @ExpectCloses(CloseReason.SHUTDOWN)
  void shutdownEndsAnMqtt311SessionWithOnlyAClose() throws Exception {
    // given
    start();
    RawMqtt device = connected(connect(4, "v3-stopped", 30));

    // when
    mqtt.fixture.table.shutdown().await(10, TimeUnit.SECONDS);

    // then
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(closeReason("v3-stopped")).isEqualTo("SHUTDOWN");
  }

  @Test
  @ExpectCloses(CloseReason.PROTOCOL_ERROR)
  void aMalformedPacketEndsAnMqtt311SessionWithOnlyAClose() throws Exception {
    // given
    start();
    RawMqtt device = connected(connect(4, "v3-garbler", 30));

    // when: packet type 0 is reserved (§2.2.1)
    device.send(new byte[] {0x00, 0x00});

    // then
    assertThat(device.bytesUntilClosed()).isEmpty();
    assertThat(closeReason("v3-garbler")).isEqualTo("PROTOCOL_ERROR");
  }
}

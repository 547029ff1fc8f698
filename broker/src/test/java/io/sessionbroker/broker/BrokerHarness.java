package io.sessionbroker.broker;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.Clock;
import io.sessionbroker.cluster.Ticker;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A whole broker for integration tests: the shipped {@code conf/broker.json} with free ports and
 * heartbeats down to 100 ms, plus a subscriber on its TCP event bus bridge that talks over a plain
 * socket, as an external program would, and a {@link ContractRecorder} that checks every event the
 * broker publishes against the event contract: {@link #close} stops the broker and fails if the
 * contract was broken.
 */
public final class BrokerHarness implements AutoCloseable {

  public static final Duration WAIT = Duration.ofSeconds(10);
  public static final Path SHIPPED_CONF = Path.of("..", "conf", "broker.json");

  public final Broker broker;
  public final BridgeClient bridge;
  public final JsonObject conf;
  private final ContractRecorder recorder;
  private boolean stopped;

  private BrokerHarness(
      Broker broker, BridgeClient bridge, JsonObject conf, ContractRecorder recorder) {
    this.broker = broker;
    this.bridge = bridge;
    this.conf = conf;
    this.recorder = recorder;
  }

  public static BrokerHarness start() throws Exception {
    return start(conf -> {});
  }

  /** Starts a broker on the shipped configuration as changed by {@code tweak}. */
  public static BrokerHarness start(Consumer<JsonObject> tweak) throws Exception {
    return start(tweak, Clock.monotonic(), Ticker.scheduler());
  }

  /** Starts a broker whose session table reads {@code clock} and is ticked by {@code ticker}. */
  public static BrokerHarness start(Consumer<JsonObject> tweak, Clock clock, Ticker ticker)
      throws Exception {
    JsonObject conf = ConfigLoader.load(SHIPPED_CONF, Map.of());
    conf.getJsonObject("table").put("minHeartbeatMs", 100).put("minTimeoutMs", 100);
    conf.getJsonObject("bridge").put("port", freePort());
    conf.getJsonObject("http").put("port", 0);
    conf.getJsonObject("shutdown").put("graceMs", 200);
    // no rehearsal of a mass expiry before each test's broker (Warmup): WarmupIT tests it
    conf.getJsonObject("node").put("warmupCloses", 0);
    for (TransportName listener : TransportName.values()) {
      if (conf.containsKey(listener.id())) {
        conf.getJsonObject(listener.id()).put("port", 0);
      }
    }
    tweak.accept(conf);
    Broker broker = Broker.start(config(conf), clock, ticker).await(30, TimeUnit.SECONDS);
    int bridgePort = conf.getJsonObject("bridge").getInteger("port");
    ContractRecorder recorder =
        new ContractRecorder(
            "the test's broker",
            bridgePort,
            broker.config().table().tickMs(),
            broker.config().http().adminToken());
    BridgeClient bridge =
        new BridgeClient("127.0.0.1", bridgePort, broker.config().http().adminToken());
    bridge.registerAndSync(
        Addresses.OPENED, Addresses.CLOSED, Addresses.REJECTED, Addresses.INBOUND);
    return new BrokerHarness(broker, bridge, conf, recorder);
  }

  /** What the broker has published so far, as the event contract saw it. */
  public io.sessionbroker.testkit.EventContract contract() {
    return recorder.contract;
  }

  /** The next event on {@code address} for {@code deviceId}, as seen through the bridge. */
  public JsonObject await(String address, String deviceId)
      throws IOException, InterruptedException {
    return bridge.awaitMessage(address, e -> deviceId.equals(e.getString("deviceId")), WAIT);
  }

  /** A request through the bridge, e.g. {@code sessions.admin.kick}. */
  public JsonObject request(String address, JsonObject body)
      throws IOException, InterruptedException {
    return bridge.request(address, body, WAIT);
  }

  public TcpDevice tcpDevice() throws IOException {
    return new TcpDevice("127.0.0.1", broker.tcpPort());
  }

  /**
   * Stops the broker gracefully (sessions closed with SHUTDOWN); the bridge subscriber stays
   * readable.
   */
  public void stop() throws Exception {
    if (!stopped) {
      stopped = true;
      recorder.contract.shuttingDown();
      broker.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /** Stops the broker, then fails if anything it published broke the event contract. */
  @Override
  public void close() throws Exception {
    try {
      stop();
      recorder.finish();
    } finally {
      recorder.close();
      bridge.close();
    }
  }

  /**
   * The typed configuration of {@code conf}, with file names relative to the shipped conf/
   * directory.
   */
  public static BrokerConfig config(JsonObject conf) {
    return BrokerConfig.fromJson(conf, SHIPPED_CONF.getParent());
  }

  /**
   * A TCP port that is free now, taken from below the kernel's ephemeral range: a port the kernel
   * hands out itself ({@code new ServerSocket(0)}) can be given again, between this check and the
   * broker's bind, to any outgoing connection on the machine (a CI run failed with "address in use"
   * on one); below that range only another listener can take it.
   */
  public static int freePort() throws IOException {
    int below = EphemeralPorts.lowest();
    for (int attempt = 0; attempt < 100; attempt++) {
      int candidate = ThreadLocalRandom.current().nextInt(10_000, below);
      try (ServerSocket socket = new ServerSocket(candidate)) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port between 10000 and " + below);
  }
}

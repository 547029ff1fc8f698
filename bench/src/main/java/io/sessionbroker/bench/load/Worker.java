package io.sessionbroker.bench.load;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Drives one process's devices from a single thread over one NIO selector: a few bytes per
 * heartbeat, so 18,000 sockets cost little CPU. Phases: ramp (connects at the chosen rate, at most
 * {@code maxPending} in flight), hold (heartbeats), silence (the silent share sends one last
 * heartbeat at the same moment and then nothing, sockets left open), then the wait for their
 * closes. The sockets of TCP, MQTT and WebSocket devices are {@link SocketDevices}'s, UDP devices
 * are driven by {@link UdpDevices}.
 */
final class Worker implements UdpDevices.Outcomes {

  /** UDP silence heartbeats sent back to back before a 1 ms pause. */
  private static final int UDP_SILENCE_BURST = 100;

  private final LoadOptions o;
  private final Coordinator coordinator;
  private final List<Device> devices = new ArrayList<>();

  /**
   * Open devices by next heartbeat due. Not a FIFO: heartbeats count from the opening, and under a
   * connect storm sessions open in a different order than they were asked for.
   */
  private final PriorityQueue<Device> heartbeats =
      new PriorityQueue<>((a, b) -> Long.compare(a.nextPingNanos, b.nextPingNanos));

  private final UdpDevices udp;
  private final SocketDevices sockets;
  private final long heartbeatNanos;
  private final WallClock wall = new WallClock();
  private final Counters counters = new Counters();
  private JsonObject commandResult;

  /** What the connects start from: every device in the ramp, the cut ones in a storm. */
  private List<Device> toConnect = devices;

  private Storm storm;
  private Selector selector;
  private String phase = "ramp";
  private boolean silenced;

  /**
   * While the keys of a poll are handled: when that poll returned (0 otherwise); a device's close
   * is stamped with it too ({@link Device#stampClose}).
   */
  private long polledNanos;

  private long rampStartNanos;
  private int started;
  private long nextProgressNanos;

  Worker(LoadOptions o, Coordinator coordinator) throws IOException {
    this.o = o;
    this.coordinator = coordinator;
    this.heartbeatNanos = o.heartbeatMs() * 1_000_000;
    for (int i = 0; i < o.devices(); i++) {
      int index = o.first() + i;
      devices.add(new Device(index, o.prefix() + index, o.transportOf(index), o.silent(index)));
    }
    this.udp = new UdpDevices(o, devices, counters, this);
    this.sockets = new SocketDevices(o, counters, this);
  }

  JsonObject run() throws IOException, InterruptedException {
    try (Selector s = Selector.open();
        BridgeWatch bridge =
            o.bridgePort() > 0
                ? new BridgeWatch(o.host(), o.bridgePort(), o.prefix(), o.first(), o.devices())
                : null) {
      selector = s;
      udp.open(selector);
      // every process starts its ramp together, after its warm-up; nothing to drive meanwhile
      coordinator.arrive("ready", new JsonObject()).join();
      ProcStat rampStart = ProcStat.self();
      rampStartNanos = System.nanoTime();
      nextProgressNanos = rampStartNanos + o.progressS() * 1_000_000_000L;
      loopUntil(() -> started == devices.size() && counters.pending == 0);
      ProcStat ramp = ProcStat.self();
      phase = "connected";
      await(
          coordinator.arrive(
              "connected",
              new JsonObject()
                  .put("opened", counters.opened)
                  .put("failed", counters.failed)
                  .put("firstStartWallMs", counters.firstStartWallMs)
                  .put("lastOpenWallMs", counters.lastOpenWallMs)));
      if (o.commands().count() > 0) {
        commandResult = sendCommands();
      }
      phase = "hold";
      long pingsBefore = counters.pings;
      long holdEnd = System.nanoTime() + o.holdS() * 1_000_000_000L;
      loopUntil(() -> System.nanoTime() >= holdEnd);
      await(
          coordinator.arrive("held", new JsonObject().put("pings", counters.pings - pingsBefore)));
      JsonObject stormResult = o.storm() ? storm(bridge) : null;
      phase = "silence";
      if (bridge != null) { // only closes from now on: earlier ones may be a previous run's
        bridge.forget();
      }
      long silentAt = silence();
      long waitEnd = silentAt + (Devices.maxTimeoutMs(devices) + o.graceMs()) * 1_000_000;
      BooleanSupplier allClosed =
          Devices.every(20_000_000, () -> Devices.allSilentClosed(devices, bridge));
      loopUntil(() -> System.nanoTime() >= waitEnd || allClosed.getAsBoolean());
      JsonObject result =
          new WorkerResult(devices, counters, bridge)
              .toJson()
              .put("rampUserMs", ramp.userMs() - rampStart.userMs())
              .put("rampSystemMs", ramp.systemMs() - rampStart.systemMs());
      if (o.closesFile() != null) {
        CloseTrace.write(o.closesFile(), devices);
      }
      if (commandResult != null) {
        result.put("commands", commandResult);
      }
      if (stormResult != null) {
        result.put("storm", stormResult);
      }
      closeAll();
      return result;
    }
  }

  /**
   * The command mode: waits (up to 30 s) until every open device can take commands (MQTT: its
   * SUBACK), then a second more (a UDP device's first ping must reach the broker), then sends them
   * while this loop answers them.
   */
  private JsonObject sendCommands() throws IOException {
    phase = "commands";
    long readyBy = System.nanoTime() + 30_000_000_000L;
    loopUntil(() -> counters.commandReady >= counters.opened || System.nanoTime() >= readyBy);
    long settled = System.nanoTime() + 1_000_000_000L;
    loopUntil(() -> System.nanoTime() >= settled);
    List<String> targets =
        devices.stream()
            .filter(d -> d.state == Device.State.OPEN && d.ready)
            .map(d -> d.id)
            .toList();
    try (CommandSender sender = new CommandSender(o.commands(), targets)) {
      sender.start();
      loopUntil(sender::done);
      JsonObject r = sender.result().put("answeredByDevices", counters.commandsAnswered);
      System.err.print(CommandSender.text(r));
      return r;
    }
  }

  /**
   * The reconnect storm: once every process is here, cuts every open TCP, MQTT and WebSocket socket
   * at once (a plain close: the broker reads EOF), then connects the same devices again under
   * {@code --rate} and {@code --max-pending}; waits (up to 60 s) until every one is back or has
   * failed, and (up to 10 s more) for the cut sessions' close events. UDP devices heartbeat on.
   */
  private JsonObject storm(BridgeWatch bridge) throws IOException {
    phase = "storm";
    await(coordinator.arrive("storm", new JsonObject()));
    if (bridge != null) {
      bridge.forget();
    }
    heartbeats.removeIf(d -> d.transport != Transport.UDP);
    List<Device> cut = new ArrayList<>();
    long cutNanos = System.nanoTime();
    for (Device d : devices) {
      if (d.transport != Transport.UDP && d.state == Device.State.OPEN) {
        Devices.quietly(d);
        cut.add(d);
      }
    }
    cut.forEach(Devices::forNewConnection);
    storm = new Storm(cut, wall.ms(cutNanos));
    toConnect = cut;
    started = 0;
    rampStartNanos = System.nanoTime();
    long giveUp = rampStartNanos + 60_000_000_000L;
    loopUntil(
        () -> (started == cut.size() && counters.pending == 0) || System.nanoTime() >= giveUp);
    long eventsBy = System.nanoTime() + 10_000_000_000L;
    BooleanSupplier announced = Devices.every(20_000_000, () -> storm.announced(bridge));
    loopUntil(() -> System.nanoTime() >= eventsBy || announced.getAsBoolean());
    JsonObject r = storm.toJson(bridge);
    storm = null;
    await(coordinator.arrive("stormed", new JsonObject()));
    return r;
  }

  private void await(CompletableFuture<Void> go) throws IOException {
    loopUntil(go::isDone);
  }

  private void loopUntil(BooleanSupplier done) throws IOException {
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (started < toConnect.size()) {
        startConnects(now);
      }
      udp.helloAgain(now);
      sendDueHeartbeats(now);
      progress(now);
      long waitMs = heartbeats.isEmpty() ? 10 : (heartbeats.peek().nextPingNanos - now) / 1_000_000;
      selector.select(
          Math.max(1, Math.min(10, started < toConnect.size() || silenced ? 1 : waitMs)));
      polledNanos = System.nanoTime();
      for (SelectionKey key : selector.selectedKeys()) {
        if (key.attachment() instanceof DatagramChannel channel) {
          udp.receive(channel);
        } else {
          sockets.ready(key, (Device) key.attachment());
        }
      }
      selector.selectedKeys().clear();
      polledNanos = 0;
    }
  }

  private void startConnects(long now) {
    long allowed =
        o.ratePerS() == 0
            ? toConnect.size()
            : (now - rampStartNanos) * o.ratePerS() / Math.max(1, o.workers()) / 1_000_000_000L + 1;
    while (started < Math.min(allowed, toConnect.size()) && counters.pending < o.maxPending()) {
      Device d = toConnect.get(started++);
      counters.pending++;
      d.startNanos = System.nanoTime();
      if (started == 1 && storm == null) {
        counters.firstStartWallMs = wall.ms(d.startNanos);
      }
      if (d.transport == Transport.UDP) {
        udp.start(d);
        continue;
      }
      sockets.start(d, selector);
    }
  }

  @Override
  public void opened(Device d, long timeoutMs) {
    long now = System.nanoTime();
    d.state = Device.State.OPEN;
    d.handshake = null;
    d.timeoutMs = timeoutMs;
    d.lastSentWallMs = wall.ms(d.lastSentNanos);
    Losses.sent(d, d.lastSentWallMs);
    // heartbeat from the opening on, as the broker counts: a slow welcome must not cost the session
    d.nextPingNanos = d.lastSentNanos + heartbeatNanos;
    heartbeats.add(d);
    counters.pending--;
    if (storm != null) {
      storm.welcomed(wall.ms(now));
    } else {
      counters.opened++;
      counters.lastOpenWallMs = wall.ms(now);
    }
    if (o.commands().answer()) {
      readyForCommands(d);
    }
  }

  /**
   * MQTT devices subscribe to their command topics (ready at the SUBACK); UDP devices ping at once,
   * since the broker sends commands only to an address that has shown the ticket.
   */
  private void readyForCommands(Device d) {
    if (d.transport == Transport.UDP) {
      ping(d);
    } else if (!sockets.readyForCommands(d)) {
      return;
    }
    d.ready = true;
    counters.commandReady++;
  }

  private void sendDueHeartbeats(long now) {
    while (!heartbeats.isEmpty() && heartbeats.peek().nextPingNanos <= now) {
      Device d = heartbeats.poll();
      if (d.state != Device.State.OPEN || (silenced && d.silent)) {
        continue;
      }
      ping(d);
      d.nextPingNanos = Math.max(d.nextPingNanos + heartbeatNanos, now + heartbeatNanos / 2);
      heartbeats.add(d);
    }
  }

  /**
   * The silent share sends its last heartbeat now, together (UDP: 100 at a time, 1 ms apart);
   * returns when.
   */
  private long silence() {
    silenced = true;
    long at = System.nanoTime();
    int udpSent = 0;
    for (Device d : devices) {
      if (d.silent && d.state == Device.State.OPEN) {
        if (d.transport == Transport.UDP && ++udpSent % UDP_SILENCE_BURST == 0) {
          // a thousand datagrams at once overflow the broker's default receive buffer (~200 KiB, a
          // few hundred
          // datagrams), and a lost last heartbeat reads as an early eviction: 100 at a time, 1 ms
          // apart
          LockSupport.parkNanos(1_000_000);
        }
        ping(d);
        d.silencePingSent = d.state == Device.State.OPEN;
      }
    }
    return at;
  }

  private void ping(Device d) {
    // Stamped before the write: the broker may read (and stamp) the heartbeat before this thread
    // returns from
    // the write, and a stamp taken after it could make a correct eviction look early.
    long sent = System.nanoTime();
    if (d.transport == Transport.UDP) {
      if (!udp.ping(d)) {
        return;
      }
    } else {
      try {
        Devices.write(d, Wire.ping(d.transport));
      } catch (IOException e) {
        closed(d);
        return;
      }
    }
    d.lastSentNanos = sent;
    d.lastSentWallMs = wall.ms(sent);
    Losses.sent(d, d.lastSentWallMs);
    counters.pings++;
  }

  @Override
  public boolean silenced() {
    return silenced;
  }

  @Override
  public void closed(Device d) {
    d.state = Device.State.CLOSED;
    d.stampClose(System.nanoTime(), polledNanos);
    if (!(silenced && d.silent)) {
      counters.unexpectedCloses++;
      d.lost = true;
      d.lostBeforeSilence = !silenced;
    }
    Devices.quietly(d);
  }

  @Override
  public void failed(Device d, Exception e) {
    if (d.state != Device.State.CONNECTING && d.state != Device.State.HANDSHAKE) {
      return;
    }
    d.state = Device.State.FAILED;
    counters.pending--;
    counters.failed++;
    if (counters.firstFailure == null) {
      counters.firstFailure = d.id + ": " + e;
    }
    Devices.quietly(d);
  }

  private void progress(long now) {
    if (o.progressS() > 0 && now >= nextProgressNanos) {
      nextProgressNanos = now + o.progressS() * 1_000_000_000L;
      System.err.println(
          counters.progressLine(
              o.first(),
              (now - rampStartNanos) / 1e9,
              phase,
              devices.size(),
              o.commands().answer(),
              udp.inUse()));
    }
  }

  /**
   * Closes every socket; UDP sessions still open say {@code bye}, so the broker need not wait for
   * them.
   */
  private void closeAll() {
    udp.close();
    devices.forEach(Devices::quietly);
  }
}
